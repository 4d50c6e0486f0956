// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "flood": vkmod under load and at its limits.
 *
 *   requests       a remote flood of well-formed REQUEST frames (injected
 *                  with AF_PACKET from host B, distinct fake clients of B's
 *                  host part, injectors pinned to CPUs, see INJ_COUNT)
 *                  at a server on host A that does not Receive:
 *                  A never holds more than max-aliens aliens, refuses the
 *                  rest with BUSY NACKs (counted: every request that reached
 *                  A is an alien or a busy refusal), and a real client of B
 *                  that is refused busy meanwhile is served once the server
 *                  drains its queue and the finished aliens age out.
 *   memory         aliens and their cached responses go away after their
 *                  linger (host-down-ms + 1 s) and slab usage returns to its
 *                  baseline.
 *   local_senders  many local senders (threads, one V process each) blocked
 *                  in Send to one server: all are queued, each gets its own
 *                  reply exactly once, and the module's reference count
 *                  returns to 0 once they are closed.
 *   many_groups    one host, 5000 groups joined twice each by four V
 *                  processes and a few times by a child process up to
 *                  max-members exactly: the next join fails ENOSPC (an
 *                  existing membership still EEXIST), `vctl -j host show`
 *                  counts groups and memberships, `vctl group show` lists
 *                  every group with exactly its members; leave, exit,
 *                  close and shutdown() free memberships (and groups left
 *                  empty), the limit has room again, and slab usage
 *                  returns to its baseline.
 *   group_many_members
 *                  one group of 600 members on each host: the members query
 *                  finds all, each host lists its own; one group Send
 *                  reaches every member exactly once, the first reply
 *                  completes it, GetReply returns exactly
 *                  V_GROUP_REPLIES_MAX further replies, each replier once
 *                  (the rest counted dropped); aliens return to 0.
 *   group_over_max_aliens
 *                  a group with one member more on host A than A's
 *                  max-aliens: delivery there is all or none, so none; a
 *                  group Send from A or from B fails EBUSY (A counts busy
 *                  refusals); with members on B too it is answered from B
 *                  only; with max-aliens = members every member gets it once.
 *   group_send_flood
 *                  16 client processes (8 per host) each make 20 group Sends
 *                  to a group of 4 members per host with max-aliens 48:
 *                  each Send is answered once, by a member that received it,
 *                  with its own reply (GetReply: this transaction's, each
 *                  replier once), or fails EBUSY; no member receives a
 *                  transaction twice; aliens return to 0.
 *
 * Topology of the remote tests: network namespaces vkfa (host A) and vkfb
 * (host B) joined by the veth pair vkfa0 / vkfb0, both attached to V.
 * many_groups and local_senders make a V host of their own (unshare).
 *
 * VK_FLOOD_SCALE (default 1) multiplies the heavy counts: REQUESTs of the
 * flood (FLOOD_REQS, 5 gives the 100000 of the full-size run), aliens of the
 * memory test, local senders, groups of many_groups, members per host of
 * group_many_members (host B; host A has BIG_MEMBERS_A more, so that its
 * `vctl group show` row spans several netlink messages; at most
 * BIG_MEMBERS_MAX per host) and clients of group_send_flood.  VK_TIMEOUT_SCALE lengthens the waits.  VK_FLOOD_ONLY=a:b
 * (or a,b) runs only the tests named.
 */
#include <endian.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include "vtest.h"
#include "vwire.h"
#define VT_KIDS_MAX	80
#define VT_KID_ALARM_S	120
#include "vkids.h"
#include "kselftest_harness.h"

#define NS_A		"vkfa"
#define NS_B		"vkfb"
#define IF_A		"vkfa0"
#define IF_B		"vkfb0"

#define FLOOD_REQS	20000	/* test requests: REQUEST frames per unit of scale */
#define FLOOD_MAX_ALIENS 256	/* test requests: host A's max-aliens */
/* ... of which one receiver holds three quarters at most */
#define FLOOD_RX_MAX	(FLOOD_MAX_ALIENS - FLOOD_MAX_ALIENS / 4)
#define INJ_RETX_MS	30000	/* the retransmission bound injected requests claim */
#define MEM_ALIENS	3000	/* test memory: aliens per unit of scale */
#define LOCAL_SENDERS	2000	/* test local_senders: senders per unit of scale */
#define LOCAL_SENDERS_MAX 4000	/* threads-max of a 1 GiB guest is about 8000 */
#define FAKE_GEN	0xfffU	/* generation of fake client ids (a fresh host uses 0) */
#define REQ_CODE	0x0f10
#define LEGIT_CODE	0x0f11
#define HDRS		VT_HDRS

static int flood_scale(void)
{
	const char *s = getenv("VK_FLOOD_SCALE");
	int v = s ? atoi(s) : 1;

	return v > 0 ? v : 1;
}

/* ------------------------------------------------------------------------ */
/* Shell, namespaces, vctl                                                  */


/* Enter namespace ns (this thread); 0 or -1. */
static int ns_enter(const char *ns)
{
	return vt_ns_enter(ns) ? -1 : 0;
}

/* `vctl ARGS` in namespace ns (NULL: the caller's); vtest.h's runner. */
static int vctl_run(const char *ns, const char *args, char *out, size_t len)
{
	return vt_vctl_run(ns, args, out, len, 0);
}

/* The number after "name": in a JSON text, or -1 (vtest.h's reader). */
static long long json_num(const char *json, const char *name)
{
	return vt_json_num(json, name);
}

/* `vctl -j host show` of one host. */
struct hinfo {
	long long part, down_ms, aliens, max_aliens;
	long long rx, busy, nomem, no_txn, shortd;
};

static int host_info(const char *ns, struct hinfo *h)
{
	char buf[4096];

	memset(h, 0xff, sizeof(*h));
	if (vctl_run(ns, "-j host show", buf, sizeof(buf)) != 0)
		return -1;
	h->part = json_num(buf, "host_part");
	h->down_ms = json_num(buf, "host_down_ms");
	h->aliens = json_num(buf, "aliens");
	h->max_aliens = json_num(buf, "max_aliens");
	h->rx = json_num(buf, "rx_frames");
	h->busy = json_num(buf, "busy");
	h->nomem = json_num(buf, "drop_nomem");
	h->no_txn = json_num(buf, "drop_no_txn");
	h->shortd = json_num(buf, "drop_short");
	return h->part < 0 || h->aliens < 0 || h->max_aliens < 0 || h->rx < 0 ||
	       h->busy < 0 || h->nomem < 0 ? -1 : 0;
}

/* A process of `vctl -j proc show`. */
struct pinfo {
	uint64_t id, peer;
	char state[16];
	long long queued, held;
};

/* The string value after "name":" inside [p, end), into out. */
static int json_str_in(const char *p, const char *end, const char *name, char *out, size_t len)
{
	char key[64];
	const char *q, *e;

	snprintf(key, sizeof(key), "\"%s\":\"", name);
	q = strstr(p, key);
	if (!q || q >= end)
		return -1;
	q += strlen(key);
	e = strchr(q, '"');
	if (!e || e >= end || (size_t)(e - q) >= len)
		return -1;
	memcpy(out, q, e - q);
	out[e - q] = '\0';
	return 0;
}

/*
 * Parse `vctl -j proc show` (of namespace ns) into at most max entries;
 * the number of processes listed, or -1.
 */
static int proc_list(const char *ns, struct pinfo *pi, int max, char *buf, size_t len)
{
	char tmp[32];
	const char *p, *end;
	int n = 0;

	if (vctl_run(ns, "-j proc show", buf, len) != 0)
		return -1;
	for (p = strchr(buf, '{'); p; p = strchr(end, '{')) {
		struct pinfo e;

		end = strchr(p, '}');
		if (!end)
			return -1;
		memset(&e, 0, sizeof(e));
		if (json_str_in(p, end, "id", tmp, sizeof(tmp)))
			return -1;
		e.id = strtoull(tmp, NULL, 0);
		if (json_str_in(p, end, "peer", tmp, sizeof(tmp)))
			return -1;
		e.peer = strtoull(tmp, NULL, 0);
		if (json_str_in(p, end, "state", e.state, sizeof(e.state)))
			return -1;
		e.queued = json_num(p, "queued");
		e.held = json_num(p, "held");
		if (n < max)
			pi[n] = e;
		n++;
	}
	return n;
}

/* The entry of process id in a proc_list() result, or NULL. */
static const struct pinfo *proc_find(const struct pinfo *pi, int n, uint64_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (pi[i].id == id)
			return &pi[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Topology and frames                                                      */

static void topo_destroy(void)
{
	vt_sh("ip netns del " NS_A " >/dev/null 2>&1; ip netns del " NS_B " >/dev/null 2>&1");
}

#define FLOOD_KEY	"666c6f6f64000000000000000000000000000000000000000000000000000001"

static int topo_create(void)
{
	topo_destroy();
	if (access("/sys/module/veth", F_OK))
		vt_sh("modprobe -q veth");
	if (vt_sh("ip netns add " NS_A " && ip netns add " NS_B " && "
	       "ip link add " IF_A " netns " NS_A " type veth peer name " IF_B " netns " NS_B
	       " && ip -n " NS_A " link set lo up && ip -n " NS_B " link set lo up"
	       " && ip -n " NS_A " link set " IF_A " up && ip -n " NS_B " link set " IF_B " up"))
		return -1;
	if (vt_ns_vctl(NS_A, "link add dev " IF_A " insecure") ||
	    vt_ns_vctl(NS_B, "link add dev " IF_B " insecure"))
		return -1;
	return 0;
}


/*
 * The injector: an AF_PACKET socket of host B that only sends (protocol 0:
 * it receives nothing, so the NACKs coming back do not pile up in it), and
 * one REQUEST frame to the server on host A, patched per request.
 */
struct inj {
	int fd;
	struct sockaddr_ll to;
	uint8_t frame[HDRS + sizeof(struct v_wire_request)];
	unsigned long long sent, retries;
};

static int inj_open(struct inj *k, uint64_t server, uint32_t hb)
{
	uint8_t mac_a[ETH_ALEN], mac_b[ETH_ALEN];
	struct v_wire_request rq;
	struct v_wire_hdr h;
	int ifa, ifb;

	memset(k, 0, sizeof(*k));
	k->fd = -1;
	if (vt_if_info(NS_A, IF_A, mac_a, &ifa) || vt_if_info(NS_B, IF_B, mac_b, &ifb))
		return -1;
	if (ns_enter(NS_B))
		return -1;
	k->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	vt_ns_leave();
	if (k->fd < 0)
		return -1;
	k->to.sll_family = AF_PACKET;
	k->to.sll_protocol = htons(V_ETHERTYPE_DEFAULT);
	k->to.sll_ifindex = ifb;
	k->to.sll_halen = ETH_ALEN;
	memcpy(k->to.sll_addr, mac_a, ETH_ALEN);

	memcpy(k->frame, mac_a, ETH_ALEN);
	memcpy(k->frame + ETH_ALEN, mac_b, ETH_ALEN);
	k->frame[12] = V_ETHERTYPE_DEFAULT >> 8;
	k->frame[13] = V_ETHERTYPE_DEFAULT & 0xff;
	memset(&h, 0, sizeof(h));
	h.version = V_WIRE_VERSION;
	h.type = V_PKT_REQUEST;
	h.dst = htobe64(server);
	h.src_host = htonl(hb);
	h.len = htonl(sizeof(rq));
	memcpy(k->frame + ETH_HLEN, &h, sizeof(h));
	memset(&rq, 0, sizeof(rq));
	v_msg_set_code(&rq.msg, REQ_CODE);
	/*
	 * The fake clients say they retransmit for 30 s (they never do): a
	 * queued request of a client silent that long is collected, and the
	 * tests need theirs to stay queued while they look.
	 */
	rq.retx_ms = htonl(INJ_RETX_MS);
	memcpy(k->frame + HDRS, &rq, sizeof(rq));
	return 0;
}

/* Another retransmission bound for k's requests (ms). */
static void inj_retx_ms(struct inj *k, uint32_t ms)
{
	struct v_wire_request *rq = (struct v_wire_request *)(k->frame + HDRS);
	uint32_t be = htonl(ms);

	memcpy(&rq->retx_ms, &be, sizeof(be));
}

/* Fake client number i of host part hb: generation FAKE_GEN, never a real id. */
static uint64_t fake_client(uint32_t hb, unsigned int i)
{
	return v_id_make(hb, (FAKE_GEN << V_ID_GEN_SHIFT) | ((i % V_ID_INDEX_MAX) + 1));
}

/* Send the REQUEST of fake client i (transaction seq) as fast as it goes. */
static int inj_request(struct inj *k, uint64_t client, uint32_t seq, uint64_t arg)
{
	struct v_wire_hdr *h = (struct v_wire_hdr *)(k->frame + ETH_HLEN);
	struct v_wire_request *rq = (struct v_wire_request *)(k->frame + HDRS);
	uint64_t c = htobe64(client);
	uint32_t s = htonl(seq);

	memcpy(&h->client, &c, sizeof(c));
	memcpy(&h->src, &c, sizeof(c));
	memcpy(&h->seq, &s, sizeof(s));
	v_msg_put64(&rq->msg, 8, arg);
	while (sendto(k->fd, k->frame, sizeof(k->frame), 0, (struct sockaddr *)&k->to,
		      sizeof(k->to)) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			return -1;
		k->retries++;
		sched_yield();
	}
	k->sent++;
	return 0;
}

/* Wait until host ns's rx_frames stops moving (the frames are all in). */
static long long rx_settle(const char *ns)
{
	struct hinfo h;
	long long last = -1;
	int i;

	for (i = 0; i < 100; i++) {
		if (host_info(ns, &h))
			return -1;
		if (h.rx == last)
			return h.rx;
		last = h.rx;
		usleep(200000);
	}
	return last;
}

/* Wait (up to ms, scaled) until host ns holds at most want aliens; elapsed ms or -1. */
static long long aliens_wait(const char *ns, long long want, int ms, long long *got)
{
	int64_t t0 = vt_now_ms(), end = t0 + (int64_t)ms * vt_scale();
	struct hinfo h;

	for (;;) {
		if (host_info(ns, &h))
			return -1;
		*got = h.aliens;
		if (h.aliens <= want)
			return vt_now_ms() - t0;
		if (vt_now_ms() > end)
			return -1;
		usleep(100000);
	}
}

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */


/* A /proc/meminfo field in kB, or -1. */
static long long meminfo_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtoll(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}


/* ------------------------------------------------------------------------ */

FIXTURE(flood) {
	int topo;
};

FIXTURE_SETUP(flood)
{
	ASSERT_LE(0, vt_root_open());
	self->topo = 0;
	nkids = 0;
}

FIXTURE_TEARDOWN(flood)
{
	kids_kill_all();
	if (self->topo)
		topo_destroy();
	vt_root_close();
}

/* ------------------------------------------------------------------------ */
/* 1. Request flood                                                          */

struct sampler {
	pthread_t thr;
	atomic_int stop;
	long long samples, max_seen, over, errors;
	long long limit;
};

/* Samples host A's alien count while the flood runs. */
static void *sampler_loop(void *arg)
{
	struct sampler *s = arg;
	struct hinfo h;

	while (!atomic_load(&s->stop)) {
		if (host_info(NS_A, &h)) {
			s->errors++;
		} else {
			s->samples++;
			if (h.aliens > s->max_seen)
				s->max_seen = h.aliens;
			if (h.aliens > s->limit || h.aliens > h.max_aliens)
				s->over++;
		}
		usleep(5000);
	}
	return NULL;
}

/*
 * The flood comes from injector threads, each with its own AF_PACKET socket
 * and pinned to its own CPU (veth delivers on the sending CPU, so each
 * injector's REQUESTs are handled on its CPU).  Injector t sends requests
 * t, t + ninj, t + 2 ninj, ...  Two injectors, so REQUESTs are handled on
 * two CPUs at once: the alien limit must hold then too (it once did not:
 * 257 of 256, when the count rose only after the check).
 */
#define INJ_MAX		4
#define INJ_COUNT	2

struct injector {
	pthread_t thr;
	struct inj k;
	int t, ninj, n, cpu, err;
	uint32_t hb;
};

static void *injector_main(void *arg)
{
	struct injector *j = arg;
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(j->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (i = j->t; i < j->n; i += j->ninj)
		if (inj_request(&j->k, fake_client(j->hb, i), 1000 + i, i)) {
			j->err = errno;
			break;
		}
	return NULL;
}

struct legit_res {
	int ret;
	int32_t pad;
	uint64_t replier;
	int64_t elapsed_ms;
	struct v_msg msg;
};

/*
 * A real client child on host ns: one Send of mk(LEGIT_CODE, arg) to sid.
 * It writes its id, then its struct legit_res, to the pipe whose read end
 * is returned in *rfd.  The child's pid, or -1.
 */
static pid_t legit_spawn(const char *ns, uint64_t sid, uint64_t arg, int *rfd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = kid_fork(0);
	if (pid == 0) {
		struct legit_res lr;
		struct v_send s;
		uint64_t cid;
		int64_t t0;
		int fd;

		close(p[0]);
		CK(ns_enter(ns) == 0);
		fd = v_open();
		CK(fd >= 0);
		cid = vt_id(fd);
		CK(write(p[1], &cid, sizeof(cid)) == sizeof(cid));
		memset(&s, 0, sizeof(s));
		s.dst = sid;
		s.msg = mk(LEGIT_CODE, arg);
		t0 = vt_now_ms();
		memset(&lr, 0, sizeof(lr));
		lr.ret = v_send_ex(fd, &s);
		lr.elapsed_ms = vt_now_ms() - t0;
		lr.replier = s.replier;
		lr.msg = s.msg;
		CK(write(p[1], &lr, sizeof(lr)) == sizeof(lr));
		_exit(0);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	*rfd = p[0];
	return pid;
}

TEST_F_TIMEOUT(flood, requests, 150)
{
	int n = FLOOD_REQS * flood_scale(), scale = vt_scale(), i, srv, rfd;
	int b_down = 10000 * scale;
	long long rx, queued_now, fakes = 0, legit_seen = 0, bad_sender = 0;
	uint64_t sid, cid = 0;
	struct hinfo a0, a1, a2, b0, b1;
	struct sampler smp;
	struct legit_res lr;
	struct injector inj[INJ_MAX];
	int ninj, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long long sent = 0, retries = 0;
	struct pinfo pi[4];
	struct v_msg want;
	char buf[8192];
	int64_t t0, t1, end;
	pid_t pid;

	ASSERT_EQ(0, topo_create());
	self->topo = 1;
	/* The whole table for B's clients (the share is the next test's). */
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set max-aliens %d max-aliens-host %d host-down-ms 500",
				FLOOD_MAX_ALIENS, FLOOD_MAX_ALIENS));
	/* The real client may stay busy until A's finished aliens age out. */
	ASSERT_EQ(0, vt_ns_vctl(NS_B, "set host-down-ms %d", b_down));
	srv = vt_ns_vopen(NS_A, 1);
	ASSERT_LE(0, srv);
	sid = vt_id(srv);
	ASSERT_NE(0, sid);
	ASSERT_EQ(0, host_info(NS_A, &a0));
	ASSERT_EQ(0, host_info(NS_B, &b0));
	ASSERT_EQ(v_id_host(sid), a0.part);
	ASSERT_EQ(FLOOD_MAX_ALIENS, a0.max_aliens);
	ASSERT_EQ(0, a0.aliens);
	ASSERT_NE(a0.part, b0.part);
	ninj = INJ_COUNT;
	memset(inj, 0, sizeof(inj));
	for (i = 0; i < ninj; i++) {
		ASSERT_EQ(0, inj_open(&inj[i].k, sid, (uint32_t)b0.part));
		inj[i].t = i;
		inj[i].ninj = ninj;
		inj[i].n = n;
		inj[i].cpu = ncpu > 0 ? i % ncpu : 0;
		inj[i].hb = b0.part;
	}

	memset(&smp, 0, sizeof(smp));
	smp.limit = FLOOD_MAX_ALIENS;
	ASSERT_EQ(0, pthread_create(&smp.thr, NULL, sampler_loop, &smp));
	t0 = vt_now_ms();
	for (i = 0; i < ninj; i++) {
		ASSERT_EQ(0, pthread_create(&inj[i].thr, NULL, injector_main, &inj[i]));
	}
	for (i = 0; i < ninj; i++) {
		pthread_join(inj[i].thr, NULL);
		sent += inj[i].k.sent;
		retries += inj[i].k.retries;
		close(inj[i].k.fd);
	}
	t1 = vt_now_ms();
	rx = rx_settle(NS_A);
	atomic_store(&smp.stop, 1);
	pthread_join(smp.thr, NULL);
	for (i = 0; i < ninj; i++) {
		ASSERT_EQ(0, inj[i].err) TH_LOG("injector %d: sendto: %s", i, strerror(inj[i].err));
	}
	ASSERT_EQ(n, sent);
	ASSERT_EQ(0, host_info(NS_A, &a1));
	ASSERT_EQ(0, host_info(NS_B, &b1));
	TH_LOG("flood: %llu REQUESTs from %d injectors in %lld ms (%lld/s, %llu send retries); "
	       "host A: rx %lld, busy %lld, aliens %lld (max seen %lld in %lld samples), "
	       "drop_nomem %lld; host B drop_no_txn +%lld", sent, ninj, (long long)(t1 - t0),
	       (long long)(sent * 1000 / (t1 - t0 + 1)), retries, a1.rx - a0.rx,
	       a1.busy - a0.busy, a1.aliens, smp.max_seen, smp.samples, a1.nomem - a0.nomem,
	       b1.no_txn - b0.no_txn);
	ASSERT_LE(0, rx);
	ASSERT_EQ(0, smp.errors);
	ASSERT_LE(3, smp.samples);
	/* The limit held throughout, and at the end. */
	ASSERT_EQ(0, smp.over) TH_LOG("alien count above max-aliens %d in %lld samples (max %lld)",
				      FLOOD_MAX_ALIENS, smp.over, smp.max_seen);
	ASSERT_LE(smp.max_seen, FLOOD_MAX_ALIENS);
	/*
	 * Enough arrived to fill the table, and the server holds all one
	 * receiver may (three quarters: a process that does not Receive
	 * leaves the others a quarter).
	 */
	ASSERT_LT(FLOOD_MAX_ALIENS, a1.rx - a0.rx);
	ASSERT_EQ(FLOOD_RX_MAX, a1.aliens);
	/* The rest were refused busy, none dropped unaccounted. */
	ASSERT_LT(a0.busy, a1.busy);
	ASSERT_EQ(a1.rx - a0.rx, a1.aliens + (a1.busy - a0.busy) + (a1.nomem - a0.nomem));
	ASSERT_EQ(a0.nomem, a1.nomem);
	/* All of them wait for the server's Receive. */
	ASSERT_EQ(1, proc_list(NS_A, pi, 4, buf, sizeof(buf)));
	ASSERT_EQ(sid, pi[0].id);
	ASSERT_EQ(FLOOD_RX_MAX, pi[0].queued);
	ASSERT_EQ(0, pi[0].held);
	ASSERT_NE(0, vt_wait_poll(srv, POLLIN, 0) & POLLIN);

	/* A real client of host B now: refused busy while the table is full. */
	pid = legit_spawn(NS_B, sid, 0x1e917, &rfd);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, vt_read_full(rfd, &cid, sizeof(cid), 10000));
	ASSERT_EQ(b0.part, v_id_host(cid));
	ASSERT_NE(FAKE_GEN, v_id_generation(cid));
	/* Its request (and retransmissions) are answered busy. */
	end = vt_now_ms() + 10000LL * scale;
	do {
		ASSERT_EQ(0, host_info(NS_A, &a2));
		if (a2.busy > a1.busy)
			break;
		usleep(50000);
	} while (vt_now_ms() < end);
	ASSERT_LT(a1.busy, a2.busy) TH_LOG("the real client was not refused busy");
	ASSERT_EQ(FLOOD_RX_MAX, a2.aliens);

	/*
	 * The server drains its queue now: every fake request first (FIFO),
	 * then, once the replied aliens have aged out, the real client's.
	 */
	end = vt_now_ms() + b_down + 5000LL * scale;
	t0 = vt_now_ms();
	while (!legit_seen && vt_now_ms() < end) {
		struct v_receive r;
		struct v_msg rep;
		int ret;

		memset(&r, 0, sizeof(r));
		ret = v_receive_ex(srv, &r);
		if (ret == -EAGAIN) {
			vt_wait_poll(srv, POLLIN, 100);
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("Receive: %s", strerror(-ret));
		ASSERT_NE(0, r.creds.flags & V_CRED_REMOTE);
		ASSERT_EQ(b0.part, r.creds.host);
		if (r.sender == cid) {
			want = mk(LEGIT_CODE, 0x1e917);
			ASSERT_TRUE(msg_eq(&want, &r.msg));
			legit_seen = 1;
			rep = mk(V_OK, 0x5e7ed);
		} else {
			if (v_id_host(r.sender) != b0.part ||
			    v_id_generation(r.sender) != FAKE_GEN ||
			    v_msg_code(&r.msg) != REQ_CODE)
				bad_sender++;
			fakes++;
			rep = mk(V_OK, fakes);
		}
		ASSERT_EQ(0, v_reply(srv, r.sender, &rep));
	}
	t1 = vt_now_ms();
	ASSERT_EQ(0, host_info(NS_A, &a2));
	TH_LOG("drain: %lld fake requests served, real client's %s after %lld ms; "
	       "host A busy +%lld since the flood", fakes, legit_seen ? "served" : "NOT seen",
	       (long long)(t1 - t0), a2.busy - a1.busy);
	ASSERT_EQ(0, bad_sender);
	ASSERT_EQ(FLOOD_RX_MAX, fakes);
	ASSERT_EQ(1, legit_seen);
	ASSERT_EQ(0, vt_read_full(rfd, &lr, sizeof(lr), 10000));
	close(rfd);
	ASSERT_EQ(0, lr.ret) TH_LOG("the real client's Send: %s", strerror(-lr.ret));
	ASSERT_EQ(sid, lr.replier);
	want = mk(V_OK, 0x5e7ed);
	ASSERT_TRUE(msg_eq(&want, &lr.msg));
	ASSERT_GT(b_down + 2000LL * scale, lr.elapsed_ms);
	ASSERT_EQ(0, kid_wait(pid));
	/* Nothing else is queued: the server owes nobody a reply. */
	queued_now = vt_wait_poll(srv, POLLIN, 0) & POLLIN;
	ASSERT_EQ(0, queued_now);
	close(srv);
}

/*
 * One client host cannot fill a server's whole queue: with max-aliens 64
 * and the default share (half), a flood from the clients of one host part
 * X leaves A holding exactly 32 of them, the rest refused busy (counted in
 * busy and busy_host alike), and a real client of another host (B) is
 * queued at once behind them and served, never refused.  An explicit
 * max-aliens-host is what `vctl host show` reports from then on.
 */
#define SHARE_MAX	64
#define SHARE_FLOOD	200

TEST_F_TIMEOUT(flood, fair_share_per_client_host, 120)
{
	long long busy_host0 = -1, busy_host1 = -1, share = -1;
	struct hinfo a0, a1, a2, b0;
	struct legit_res lr;
	struct v_receive r;
	char buf[4096];
	int srv, i, rfd, fakes = 0, real = 0;
	uint64_t sid, cid = 0;
	uint32_t hx;
	struct inj k;
	pid_t pid;

	ASSERT_EQ(0, topo_create());
	self->topo = 1;
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set max-aliens %d host-down-ms 500", SHARE_MAX));
	srv = vt_ns_vopen(NS_A, 1);
	ASSERT_LE(0, srv);
	sid = vt_id(srv);
	ASSERT_EQ(0, host_info(NS_A, &a0));
	ASSERT_EQ(0, host_info(NS_B, &b0));
	ASSERT_EQ(0, vctl_run(NS_A, "-j host show", buf, sizeof(buf)));
	share = json_num(buf, "max_aliens_host");
	busy_host0 = json_num(buf, "busy_host");
	ASSERT_EQ(SHARE_MAX / 2, share) TH_LOG("%s", buf);
	ASSERT_LE(0, busy_host0);
	/*
	 * Clients of a third host part X on a third machine (its own MAC),
	 * injected over B's link: an unkeyed host counts shares by source
	 * address, not by the host part a frame claims.
	 */
	hx = ((uint32_t)b0.part + 0x100) & V_ID_HOST_MASK;
	ASSERT_NE(a0.part, hx);
	ASSERT_NE(b0.part, hx);
	ASSERT_EQ(0, inj_open(&k, sid, hx));
	memcpy(k.frame + ETH_ALEN, (uint8_t[ETH_ALEN]){ 0x02, 0xf1, 0x00, 0xd0, 0, 0x58 }, ETH_ALEN);
	for (i = 0; i < SHARE_FLOOD; i++)
		ASSERT_EQ(0, inj_request(&k, fake_client(hx, i), 1, i));
	close(k.fd);
	ASSERT_LE(0, rx_settle(NS_A));
	ASSERT_EQ(0, host_info(NS_A, &a1));
	ASSERT_EQ(0, vctl_run(NS_A, "-j host show", buf, sizeof(buf)));
	busy_host1 = json_num(buf, "busy_host");
	TH_LOG("X's flood: rx +%lld, aliens %lld, busy +%lld, busy_host +%lld",
	       a1.rx - a0.rx, a1.aliens, a1.busy - a0.busy, busy_host1 - busy_host0);
	ASSERT_EQ(SHARE_MAX / 2, a1.aliens);
	ASSERT_EQ(a1.rx - a0.rx, a1.aliens + (a1.busy - a0.busy));
	ASSERT_EQ(SHARE_FLOOD - SHARE_MAX / 2, a1.busy - a0.busy);
	ASSERT_EQ(a1.busy - a0.busy, busy_host1 - busy_host0);
	ASSERT_EQ(a0.nomem, a1.nomem);

	/* A real client of B: room for it, though X is refused. */
	pid = legit_spawn(NS_B, sid, 0xfa1, &rfd);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, vt_read_full(rfd, &cid, sizeof(cid), 10000));
	ASSERT_EQ(b0.part, v_id_host(cid));
	/* FIFO: X's 32 first, then B's client, with no busy refusal for it. */
	while (!real) {
		struct v_msg rep;

		memset(&r, 0, sizeof(r));
		ASSERT_NE(0, vt_wait_poll(srv, POLLIN, 10000) & POLLIN);
		ASSERT_EQ(0, v_receive_ex(srv, &r));
		if (r.sender == cid) {
			real = 1;
			rep = mk(V_OK, 0xfa2);
		} else {
			ASSERT_EQ(hx, v_id_host(r.sender));
			fakes++;
			rep = mk(V_OK, fakes);
		}
		ASSERT_EQ(0, v_reply(srv, r.sender, &rep));
	}
	ASSERT_EQ(SHARE_MAX / 2, fakes);
	ASSERT_EQ(0, vt_read_full(rfd, &lr, sizeof(lr), 10000));
	close(rfd);
	ASSERT_EQ(0, kid_wait(pid));
	ASSERT_EQ(0, lr.ret) TH_LOG("B's client: %s", strerror(-lr.ret));
	ASSERT_EQ(sid, lr.replier);
	ASSERT_EQ(0, host_info(NS_A, &a2));
	ASSERT_EQ(a1.busy, a2.busy);	/* B's client was never refused */

	/* An explicit share is what host show reports. */
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set max-aliens-host 5"));
	ASSERT_EQ(0, vctl_run(NS_A, "host show", buf, sizeof(buf)));
	ASSERT_NE(NULL, strstr(buf, "\nmax-aliens-host 5\n")) TH_LOG("%s", buf);
	ASSERT_NE(0, vt_ns_vctl(NS_A, "set max-aliens-host 1048577"));
	close(srv);
}

/* ------------------------------------------------------------------------ */
/* 2. Memory returns to baseline                                            */

TEST_F_TIMEOUT(flood, memory, 120)
{
	int n = MEM_ALIENS * flood_scale(), i, srv, ret;
	long long base, peak, after, base_kb, peak_kb, after_kb, tol, got, waited, held = 0;
	struct hinfo a0, a1, a2, b0;
	struct v_receive r;
	uint64_t sid;
	struct inj k;
	int64_t t0;

	ASSERT_EQ(0, topo_create());
	self->topo = 1;
	/* Room for them all at one receiver (three quarters of the limit). */
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set max-aliens %d max-aliens-host %d host-down-ms 500",
				2 * n, n));
	srv = vt_ns_vopen(NS_A, 1);
	ASSERT_LE(0, srv);
	sid = vt_id(srv);
	ASSERT_NE(0, sid);
	ASSERT_EQ(0, host_info(NS_B, &b0));
	ASSERT_EQ(0, inj_open(&k, sid, (uint32_t)b0.part));
	/* One frame first so A learns B's address (a mapping entry stays). */
	inj_retx_ms(&k, 0);	/* A's own bound: it lingers 1.5 s */
	ASSERT_EQ(0, inj_request(&k, fake_client(b0.part, n + 1), 1, 0));
	ASSERT_LE(0, rx_settle(NS_A));
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, v_receive_ex(srv, &r));
	ASSERT_EQ(0, v_reply(srv, r.sender, &r.msg));
	ASSERT_LE(0, aliens_wait(NS_A, 0, 10000, &got)) TH_LOG("aliens %lld", got);
	/* The flood's: queued while counted, replied they linger 9 s, then go. */
	inj_retx_ms(&k, 8000);

	sleep(1);
	ASSERT_EQ(0, host_info(NS_A, &a0));
	base = vt_slab_active_bytes();
	base_kb = meminfo_kb("Slab");
	ASSERT_LT(0, base);
	ASSERT_EQ(0, a0.aliens);

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, inj_request(&k, fake_client(b0.part, i), 7, i));
	}
	ASSERT_LE(0, rx_settle(NS_A));
	ASSERT_EQ(0, host_info(NS_A, &a1));
	/* All that arrived are held (the limit is n): none refused, none lost. */
	ASSERT_EQ(a0.busy, a1.busy);
	ASSERT_EQ(a0.nomem, a1.nomem);
	ASSERT_EQ(a1.rx - a0.rx, a1.aliens);
	ASSERT_LE(n / 2, a1.aliens) TH_LOG("only %lld of %d requests arrived", a1.aliens, n);

	/* Drain: Receive and Reply to every one. */
	t0 = vt_now_ms();
	for (;;) {
		memset(&r, 0, sizeof(r));
		ret = v_receive_ex(srv, &r);
		if (ret == -EAGAIN)
			break;
		ASSERT_EQ(0, ret);
		ASSERT_EQ(FAKE_GEN, v_id_generation(r.sender));
		ASSERT_EQ(0, v_reply(srv, r.sender, &r.msg));
		held++;
	}
	ASSERT_EQ(a1.aliens, held);
	ASSERT_EQ(0, host_info(NS_A, &a2));
	/* Replied aliens linger to answer retransmissions from their cache. */
	ASSERT_LT(0, a2.aliens);
	peak = vt_slab_active_bytes();
	peak_kb = meminfo_kb("Slab");

	waited = aliens_wait(NS_A, 0, 15000, &got);
	ASSERT_LE(0, waited) TH_LOG("%lld aliens still held %lld ms after the replies", got,
				    (long long)(vt_now_ms() - t0));
	sleep(1);
	after = vt_slab_active_bytes();
	after_kb = meminfo_kb("Slab");
	tol = (peak - base) / 5;
	if (tol < 768 * 1024)
		tol = 768 * 1024;
	TH_LOG("%lld aliens (drained in %lld ms, gone %lld ms later); active slab bytes: "
	       "base %lld, peak %+lld, after %+lld (tolerance %lld); meminfo Slab kB: base %lld, "
	       "peak %+lld, after %+lld", held, (long long)(vt_now_ms() - t0 - waited - 1000),
	       waited, base, peak - base, after - base, tol, base_kb, peak_kb - base_kb,
	       after_kb - base_kb);
	/* The measurement sees the aliens at all ... */
	ASSERT_LE(held * 128, peak - base);
	/* ... and they are gone. */
	ASSERT_GT(tol, after - base);
	close(k.fd);
	close(srv);
}

/* ------------------------------------------------------------------------ */
/* 3. Many local senders                                                    */

struct lsender {
	pthread_t thr;
	int fd;
	int idx;
	uint64_t id;
	uint64_t dst;
	int ret;
	uint64_t replier;
	struct v_msg msg;
	atomic_int *returned;
};

static struct v_msg lreq(int i)
{
	return mk(REQ_CODE, 0x10000000ULL + i);
}

static struct v_msg lrep(int i)
{
	return mk(V_OK, mix64(i + 1));
}

static void *lsender_main(void *arg)
{
	struct lsender *s = arg;
	struct v_send sd;

	memset(&sd, 0, sizeof(sd));
	sd.dst = s->dst;
	sd.msg = lreq(s->idx);
	s->ret = v_send_ex(s->fd, &sd);
	s->replier = sd.replier;
	s->msg = sd.msg;
	atomic_fetch_add(s->returned, 1);
	return NULL;
}

static int cmp_u64_idx(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

TEST_F_TIMEOUT(flood, local_senders, 150)
{
	int n = LOCAL_SENDERS * flood_scale(), scale = vt_scale(), i, srv, started = 0, ep;
	int nq, nrecv, nproc, reps, ret;
	size_t buflen;
	struct lsender *s;
	struct pinfo *pi;
	const struct pinfo *sp;
	uint64_t (*byid)[2], sid;
	unsigned char *seen;
	atomic_int returned = 0;
	pthread_attr_t attr;
	struct rlimit rl;
	struct epoll_event ev;
	long long ref;
	char *buf;
	int64_t t0, end;

	if (n > LOCAL_SENDERS_MAX)
		n = LOCAL_SENDERS_MAX;
	/* A V host of our own: nothing else lists processes in it. */
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	rl.rlim_cur = rl.rlim_max = n + 256;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	s = calloc(n, sizeof(*s));
	pi = calloc(n + 16, sizeof(*pi));
	byid = calloc(n, sizeof(*byid));
	seen = calloc(n, 1);
	buflen = 256 + (size_t)(n + 16) * 160;
	buf = malloc(buflen);
	ASSERT_TRUE(s && pi && byid && seen && buf);

	srv = v_open();
	ASSERT_LE(0, srv);
	ASSERT_EQ(0, fcntl(srv, F_SETFL, fcntl(srv, F_GETFL) | O_NONBLOCK));
	sid = vt_id(srv);
	ASSERT_NE(0, sid);
	for (i = 0; i < n; i++) {
		s[i].fd = v_open();
		ASSERT_LE(0, s[i].fd) TH_LOG("V process %d: %s", i, strerror(-s[i].fd));
		s[i].id = vt_id(s[i].fd);
		ASSERT_NE(0, s[i].id);
		s[i].idx = i;
		s[i].dst = sid;
		s[i].returned = &returned;
		byid[i][0] = s[i].id;
		byid[i][1] = i;
	}
	qsort(byid, n, sizeof(*byid), cmp_u64_idx);
	for (i = 1; i < n; i++) {
		ASSERT_NE(byid[i - 1][0], byid[i][0]);
	}

	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, 64 * 1024));
	t0 = vt_now_ms();
	for (i = 0; i < n; i++) {
		ret = pthread_create(&s[i].thr, &attr, lsender_main, &s[i]);
		ASSERT_EQ(0, ret) TH_LOG("thread %d: %s", i, strerror(ret));
		started++;
	}
	pthread_attr_destroy(&attr);

	/* All of them queued at the server: vctl proc show, then EPOLLIN. */
	end = vt_now_ms() + 60000LL * scale;
	for (;;) {
		nproc = proc_list(NULL, pi, n + 16, buf, buflen);
		ASSERT_EQ(n + 1, nproc);
		sp = proc_find(pi, nproc, sid);
		ASSERT_NE(NULL, sp);
		if (sp->queued == n || vt_now_ms() > end)
			break;
		usleep(100000);
	}
	TH_LOG("%d senders started and queued in %lld ms", n, (long long)(vt_now_ms() - t0));
	ASSERT_EQ(n, sp->queued);
	ASSERT_EQ(0, sp->held);
	for (i = 0, nq = 0; i < nproc; i++)
		if (!strcmp(pi[i].state, "queued") && pi[i].peer == sid)
			nq++;
	ASSERT_EQ(n, nq);
	ASSERT_EQ(0, atomic_load(&returned));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	ASSERT_NE(0, ev.events & EPOLLIN);

	/* Receive every message: each sender once, with its own message. */
	for (nrecv = 0; nrecv < n; nrecv++) {
		struct v_receive r;
		uint64_t key[2] = { 0, 0 }, (*hit)[2];
		struct v_msg want;
		int idx;

		memset(&r, 0, sizeof(r));
		ret = v_receive_ex(srv, &r);
		ASSERT_EQ(0, ret) TH_LOG("Receive %d: %s", nrecv, strerror(-ret));
		key[0] = r.sender;
		hit = bsearch(key, byid, n, sizeof(*byid), cmp_u64_idx);
		ASSERT_NE(NULL, hit) TH_LOG("message from unknown sender %#llx",
					    (unsigned long long)r.sender);
		idx = (int)(*hit)[1];
		ASSERT_EQ(0, seen[idx]) TH_LOG("sender %d received twice", idx);
		seen[idx] = 1;
		want = lreq(idx);
		ASSERT_TRUE(msg_eq(&want, &r.msg)) TH_LOG("sender %d: wrong message", idx);
		ASSERT_EQ(0, r.creds.flags & V_CRED_REMOTE);
		ASSERT_EQ(getpid(), (pid_t)r.creds.pid);
	}
	{
		struct v_receive r;

		memset(&r, 0, sizeof(r));
		ASSERT_EQ(-EAGAIN, v_receive_ex(srv, &r));
	}
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	nproc = proc_list(NULL, pi, n + 16, buf, buflen);
	ASSERT_EQ(n + 1, nproc);
	sp = proc_find(pi, nproc, sid);
	ASSERT_NE(NULL, sp);
	ASSERT_EQ(0, sp->queued);
	ASSERT_EQ(n, sp->held);
	ASSERT_EQ(0, atomic_load(&returned));

	/* Reply to all, last received first; a second Reply finds nothing. */
	for (i = n - 1; i >= 0; i--) {
		struct v_msg rep = lrep(i);

		ASSERT_EQ(0, v_reply(srv, s[i].id, &rep)) TH_LOG("Reply to sender %d", i);
	}
	end = vt_now_ms() + 60000LL * scale;
	while (atomic_load(&returned) < n && vt_now_ms() < end)
		usleep(20000);
	ASSERT_EQ(n, atomic_load(&returned));
	for (i = 0; i < started; i++)
		pthread_join(s[i].thr, NULL);
	started = 0;
	for (i = 0, reps = 0; i < n; i++) {
		struct v_msg want = lrep(i), rep = mk(V_OK, 0);

		ASSERT_EQ(0, s[i].ret) TH_LOG("sender %d: %s", i, strerror(-s[i].ret));
		ASSERT_EQ(sid, s[i].replier);
		ASSERT_TRUE(msg_eq(&want, &s[i].msg)) TH_LOG("sender %d got another's reply", i);
		ASSERT_EQ(-ENOENT, v_reply(srv, s[i].id, &rep)) TH_LOG("sender %d", i);
		reps++;
	}
	ASSERT_EQ(n, reps);
	nproc = proc_list(NULL, pi, n + 16, buf, buflen);
	ASSERT_EQ(n + 1, nproc);
	for (i = 0, nq = 0; i < nproc; i++)
		if (!strcmp(pi[i].state, "idle") && !pi[i].queued && !pi[i].held)
			nq++;
	ASSERT_EQ(n + 1, nq);

	/* All exit: nothing pins the module any more. */
	close(ep);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, close(s[i].fd));
	}
	ASSERT_EQ(0, close(srv));
	end = vt_now_ms() + 20000LL * scale;
	do {
		ref = vt_vkmod_refcount();
		if (ref == 0)
			break;
		usleep(50000);
	} while (vt_now_ms() < end);
	ASSERT_EQ(0, ref) TH_LOG("vkmod refcount %lld after every V process closed", ref);
	free(s);
	free(pi);
	free(byid);
	free(seen);
	free(buf);
}

/* ------------------------------------------------------------------------ */
/* Groups: shared helpers                                                   */

#define GREQ_CODE	0x0f20
#define MANY_GROUPS	5000	/* test many_groups: groups per unit of scale */
#define MANY_SOCKS	4	/* test many_groups: V processes joining them */
#define MANY_KID_JOINS	8	/* test many_groups: joins of the child process */
#define BIG_MEMBERS	600	/* test group_many_members: members per host per unit */
#define BIG_MEMBERS_A	900	/* ... and on host A these more: about 1360 members
				 * fit one netlink message of `vctl group show`
				 */
#define BIG_MEMBERS_MAX	3000	/* ... at most, per host */
#define BUSY_MEMBERS	100	/* test group_over_max_aliens: members on host A */
#define GF_MEMBERS	4	/* test group_send_flood: members per host */
#define GF_CLIENTS	8	/* test group_send_flood: clients per host per unit */
#define GF_CLIENTS_MAX	32
#define GF_SENDS	20	/* test group_send_flood: group Sends per client */
#define GF_MAX_ALIENS	48	/* test group_send_flood: max-aliens of both hosts, */
#define GF_DOWN_MS	1000	/* ... their host-down-ms */
#define GF_WINDOW_MS	2000	/* ... and group-window-ms */

/* Group fields of `vctl -j host show`: groups, members, max_members. */
static int host_groups(const char *ns, long long *groups, long long *members,
		       long long *max_members)
{
	char buf[4096];

	if (vctl_run(ns, "-j host show", buf, sizeof(buf)) != 0)
		return -1;
	*groups = json_num(buf, "groups");
	*members = json_num(buf, "members");
	if (max_members)
		*max_members = json_num(buf, "max_members");
	return *groups < 0 || *members < 0 ? -1 : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * `vctl -j group show` (in namespace ns) into a buffer of its own; for
 * each group listed calls fn(gid, member ids, count, arg).  The number of
 * groups listed, or -1 (output not JSON, truncated, unparsable).
 */
static int group_show(const char *ns, size_t len, int (*fn)(uint64_t, const uint64_t *, int, void *),
		      void *arg)
{
	char *buf = malloc(len), *p, *e;
	uint64_t *ids = calloc(8192, sizeof(*ids));
	int n = 0, k, ret;

	if (!buf || !ids)
		goto fail;
	ret = vctl_run(ns, "-j group show", buf, len);
	if (ret != 0 || strlen(buf) + 1 >= len || vt_json_valid(buf))
		goto fail;
	for (p = strstr(buf, "\"group\":\""); p; p = strstr(e, "\"group\":\"")) {
		uint64_t gid = strtoull(p + 9, &e, 16);
		char *end;

		p = strstr(e, "\"members\":[");
		if (!p)
			goto fail;
		end = strchr(p, ']');
		if (!end)
			goto fail;
		for (k = 0, p += 11; p < end && k < 8192; k++) {
			p = strstr(p, "0x");
			if (!p || p > end)
				break;
			ids[k] = strtoull(p, &p, 16);
		}
		if (fn && fn(gid, ids, k, arg))
			goto fail;
		n++;
		e = end;
	}
	free(buf);
	free(ids);
	return n;
fail:
	free(buf);
	free(ids);
	return -1;
}

/* A reply of member id to the request with tag: V_OK, id, tag, ~id. */
static struct v_msg greply(uint64_t id, uint64_t tag)
{
	struct v_msg m;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, V_OK);
	v_msg_put64(&m, 8, id);
	v_msg_put64(&m, 16, tag);
	v_msg_put64(&m, 24, ~id);
	return m;
}

/* Is id in the sorted ids[0..n)? */
static int in_sorted(uint64_t id, const uint64_t *ids, int n)
{
	return bsearch(&id, ids, n, sizeof(*ids), cmp_u64) != NULL;
}

/*
 * A member pool: a child process with n V processes on host ns (NULL: the
 * caller's), all joined to gid, serving: every message is received once
 * and replied to with greply(member, tag), the tag (bytes 8..15 of the
 * request) below ntags recorded per member, so a second delivery of one
 * transaction to one member shows as a duplicate.  Commands on its pipe:
 * 'R' reports its counters, 'Q' takes what is still queued, reports the
 * counters and the members' tag bitmaps and exits.
 */
struct pool_stats {
	int32_t err;		/* setup: 0 or -errno of the failing call */
	int32_t line;		/* ... and where */
	int64_t received, dups, bad, wrong_group, reply_enoent, reply_err, joined;
};

struct pool {
	pid_t pid;
	int ctl, res;		/* the parent's ends */
	int n, ntags;
	uint64_t *ids;		/* member i's id */
	uint64_t *sorted;	/* the same, sorted */
	unsigned char *seen;	/* after pool_quit: member i, tag t at bit i * ntags + t */
	struct pool_stats st;
};

static void pool_take(int fd, int i, const uint64_t *ids, uint64_t gid, int ntags,
		      unsigned char *seen, struct pool_stats *st)
{
	struct v_receive r;
	struct v_msg rep;
	uint64_t tag, bit;
	int ret;

	for (;;) {
		memset(&r, 0, sizeof(r));
		if (v_receive_ex(fd, &r))
			return;
		st->received++;
		if (r.group != gid)
			st->wrong_group++;
		tag = v_msg_get64(&r.msg, 8);
		if (v_msg_code(&r.msg) != GREQ_CODE || tag >= (uint64_t)ntags) {
			st->bad++;
		} else {
			bit = (uint64_t)i * ntags + tag;
			if (seen[bit / 8] & (1u << (bit % 8)))
				st->dups++;
			seen[bit / 8] |= 1u << (bit % 8);
		}
		rep = greply(ids[i], tag);
		ret = v_reply(fd, r.sender, &rep);
		if (ret == -ENOENT)
			st->reply_enoent++;	/* the client moved on: cancelled */
		else if (ret)
			st->reply_err++;
	}
}

static void __attribute__((noreturn)) pool_main(const char *ns, uint64_t gid, int n, int ntags,
						int ctl, int res)
{
	size_t seen_len = ((size_t)n * ntags + 7) / 8;
	struct epoll_event ev, evs[64];
	struct pool_stats st;
	unsigned char *seen;
	uint64_t *ids;
	struct rlimit rl;
	int *fds, ep, i, k, m, ret;
	char cmd;

	memset(&st, 0, sizeof(st));
	rl.rlim_cur = rl.rlim_max = n + 64;
	fds = calloc(n, sizeof(*fds));
	ids = calloc(n, sizeof(*ids));
	seen = calloc(seen_len, 1);
	ep = epoll_create1(EPOLL_CLOEXEC);
#define POOL_FAIL(e) do { st.err = (e); st.line = __LINE__; goto report; } while (0)
	if (!fds || !ids || !seen || ep < 0)
		POOL_FAIL(-ENOMEM);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		POOL_FAIL(-errno);
	if (ns && ns_enter(ns))
		POOL_FAIL(-ENOENT);
	for (i = 0; i < n; i++) {
		fds[i] = v_open();
		if (fds[i] < 0)
			POOL_FAIL(fds[i]);
		if (fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK))
			POOL_FAIL(-errno);
		ids[i] = vt_id(fds[i]);
		if (!ids[i])
			POOL_FAIL(-EINVAL);
		ret = v_group_join(fds[i], gid);
		if (ret)
			POOL_FAIL(ret);
		st.joined++;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			POOL_FAIL(-errno);
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = n;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ctl, &ev))
		POOL_FAIL(-errno);
report:
	if (write(res, &st, sizeof(st)) != sizeof(st) ||
	    (!st.err && write(res, ids, n * sizeof(*ids)) != (ssize_t)(n * sizeof(*ids))))
		_exit(1);
	if (st.err) {
		/* Wait to be told: the parent reads the report first. */
		while (read(ctl, &cmd, 1) < 0 && errno == EINTR)
			;
		_exit(2);
	}
	for (;;) {
		m = epoll_wait(ep, evs, 64, -1);
		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0)
			_exit(3);
		for (k = 0; k < m; k++) {
			if (evs[k].data.u32 != (uint32_t)n) {
				i = evs[k].data.u32;
				pool_take(fds[i], i, ids, gid, ntags, seen, &st);
				continue;
			}
			if (read(ctl, &cmd, 1) != 1)
				_exit(0);	/* the parent is gone */
			if (cmd == 'Q')
				for (i = 0; i < n; i++)
					pool_take(fds[i], i, ids, gid, ntags, seen, &st);
			if (write(res, &st, sizeof(st)) != sizeof(st))
				_exit(4);
			if (cmd == 'Q') {
				if (write(res, seen, seen_len) != (ssize_t)seen_len)
					_exit(5);
				_exit(0);
			}
		}
	}
#undef POOL_FAIL
}

/* Start pool p (n members of gid on host ns); 0, or the setup error. */
static int pool_start(struct pool *p, const char *ns, uint64_t gid, int n, int ntags)
{
	int c[2], r[2];

	memset(p, 0, sizeof(*p));
	p->n = n;
	p->ntags = ntags;
	p->ctl = p->res = -1;
	p->ids = calloc(n, sizeof(*p->ids));
	p->sorted = calloc(n, sizeof(*p->sorted));
	p->seen = calloc(((size_t)n * ntags + 7) / 8, 1);
	if (!p->ids || !p->sorted || !p->seen || pipe2(c, O_CLOEXEC))
		return -ENOMEM;
	if (pipe2(r, O_CLOEXEC)) {
		close(c[0]);
		close(c[1]);
		return -ENOMEM;
	}
	p->pid = kid_fork(600 * vt_scale() * flood_scale());
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		close(c[1]);
		close(r[0]);
		pool_main(ns, gid, n, ntags, c[0], r[1]);
	}
	close(c[0]);
	close(r[1]);
	p->ctl = c[1];
	p->res = r[0];
	if (vt_read_full(p->res, &p->st, sizeof(p->st), 60000))
		return -ETIMEDOUT;
	if (p->st.err) {
		fprintf(stderr, "# pool on %s: setup failed at line %d: %s (%lld joined)\n",
			ns ? ns : "this host", p->st.line, strerror(-p->st.err),
			(long long)p->st.joined);
		return p->st.err;
	}
	if (vt_read_full(p->res, p->ids, n * sizeof(*p->ids), 60000))
		return -ETIMEDOUT;
	memcpy(p->sorted, p->ids, n * sizeof(*p->ids));
	qsort(p->sorted, n, sizeof(*p->sorted), cmp_u64);
	return 0;
}

/* Pool p's counters now; 0 or -1. */
static int pool_report(struct pool *p)
{
	char cmd = 'R';

	if (write(p->ctl, &cmd, 1) != 1)
		return -1;
	return vt_read_full(p->res, &p->st, sizeof(p->st), 30000);
}

/* Wait (up to ms, scaled) until pool p has received at least want messages. */
static int pool_wait_received(struct pool *p, long long want, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();

	for (;;) {
		if (pool_report(p))
			return -1;
		if (p->st.received >= want)
			return 0;
		if (vt_now_ms() > end)
			return -1;
		usleep(100000);
	}
}

/* End pool p: its last counters and bitmaps, then reap it; 0 or -1. */
static int pool_quit(struct pool *p)
{
	size_t seen_len = ((size_t)p->n * p->ntags + 7) / 8;
	char cmd = 'Q';
	int ret = -1;

	if (p->pid <= 0)
		return -1;
	if (write(p->ctl, &cmd, 1) == 1 &&
	    !vt_read_full(p->res, &p->st, sizeof(p->st), 30000) &&
	    !vt_read_full(p->res, p->seen, seen_len, 30000))
		ret = 0;
	if (kid_wait(p->pid) != 0)
		ret = -1;
	p->pid = 0;
	return ret;
}

static int pool_seen(const struct pool *p, int i, uint64_t tag)
{
	uint64_t bit = (uint64_t)i * p->ntags + tag;

	return (p->seen[bit / 8] >> (bit % 8)) & 1;
}

static void pool_free(struct pool *p)
{
	if (p->ctl >= 0)
		close(p->ctl);
	if (p->res >= 0)
		close(p->res);
	free(p->ids);
	free(p->sorted);
	free(p->seen);
	p->ctl = p->res = -1;
	p->ids = p->sorted = NULL;
	p->seen = NULL;
}

/* Index of member id in pool p, or -1. */
static int pool_index(const struct pool *p, uint64_t id)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->ids[i] == id)
			return i;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* 4. Very many groups on one host                                          */

struct many {
	int ng;
	uint64_t *gids;			/* sorted */
	int *idx;			/* gids[k] was created as group idx[k] */
	uint64_t sock_ids[MANY_SOCKS];
	uint64_t kid_id;
	int kid_joined;			/* the child is in groups 0..kid_joined-1 */
	unsigned char (*in)[MANY_SOCKS];	/* group i (creation order): sockets in it */
	long long listed_members, wrong;
};

/* Group i (in creation order) is joined by V processes i % 4 and (i + 1) % 4. */
static int many_joined(int i, int s)
{
	return s == i % MANY_SOCKS || s == (i + 1) % MANY_SOCKS;
}

static int many_check(uint64_t gid, const uint64_t *ids, int n, void *arg)
{
	struct many *m = arg;
	uint64_t *hit = bsearch(&gid, m->gids, m->ng, sizeof(*m->gids), cmp_u64);
	int i, s, k, want = 0, found;

	if (!hit) {
		m->wrong++;
		return 0;
	}
	i = m->idx[hit - m->gids];
	for (s = 0; s < MANY_SOCKS; s++) {
		if (!m->in[i][s])
			continue;
		want++;
		for (k = 0, found = 0; k < n; k++)
			found += ids[k] == m->sock_ids[s];
		if (found != 1)
			m->wrong++;
	}
	if (i < m->kid_joined) {
		want++;
		for (k = 0, found = 0; k < n; k++)
			found += ids[k] == m->kid_id;
		if (found != 1)
			m->wrong++;
	}
	if (n != want)
		m->wrong++;
	m->listed_members += n;
	return 0;
}

/* Groups with a member, and memberships, by m->in (the child's included). */
static void many_expect(const struct many *m, long long *groups, long long *members)
{
	int i, s, c;

	*groups = *members = 0;
	for (i = 0; i < m->ng; i++) {
		for (s = 0, c = 0; s < MANY_SOCKS; s++)
			c += m->in[i][s];
		c += i < m->kid_joined;
		*groups += c > 0;
		*members += c;
	}
}

TEST_F_TIMEOUT(flood, many_groups, 120)
{
	int ng = MANY_GROUPS * flood_scale(), i, s, ret, p[2], q[2], listed;
	long long limit = 2LL * ng + MANY_KID_JOINS, groups, members, maxm, eg, em;
	long long base, peak, after, tol;
	int fd[MANY_SOCKS];
	uint64_t *created, extra;
	struct many m;
	size_t showlen;
	int64_t t0;
	pid_t pid;
	char c;

	memset(&m, 0, sizeof(m));
	m.ng = ng;
	created = calloc(ng, sizeof(*created));
	m.gids = calloc(ng, sizeof(*m.gids));
	m.idx = calloc(ng, sizeof(*m.idx));
	m.in = calloc(ng, sizeof(*m.in));
	ASSERT_TRUE(created && m.gids && m.idx && m.in);
	showlen = 4096 + (size_t)ng * 160;

	/* A V host of our own. */
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, &maxm));
	ASSERT_EQ(0, groups);
	ASSERT_EQ(0, members);
	ASSERT_EQ(V_MAX_MEMBERS_DEFAULT, maxm);
	ASSERT_EQ(0, vt_ns_vctl(NULL, "set max-members %lld", limit));
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, &maxm));
	ASSERT_EQ(limit, maxm);
	sleep(1);
	base = vt_slab_active_bytes();
	ASSERT_LT(0, base);

	for (s = 0; s < MANY_SOCKS; s++) {
		fd[s] = v_open();
		ASSERT_LE(0, fd[s]);
		m.sock_ids[s] = vt_id(fd[s]);
		ASSERT_NE(0, m.sock_ids[s]);
	}
	/* ng groups, created by V process 0: distinct ids of this host. */
	t0 = vt_now_ms();
	for (i = 0; i < ng; i++) {
		ASSERT_EQ(0, v_group_create(fd[0], &created[i]));
		ASSERT_TRUE(v_id_group_ok(created[i]));
		ASSERT_EQ(v_id_host(m.sock_ids[0]), v_id_host(created[i]));
		m.gids[i] = created[i];
	}
	qsort(m.gids, ng, sizeof(*m.gids), cmp_u64);
	for (i = 1; i < ng; i++) {
		ASSERT_NE(m.gids[i - 1], m.gids[i]);
	}
	for (i = 0; i < ng; i++) {
		uint64_t *hit = bsearch(&created[i], m.gids, ng, sizeof(*m.gids), cmp_u64);

		m.idx[hit - m.gids] = i;
	}
	/* Creating takes no membership. */
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(0, groups);
	ASSERT_EQ(0, members);

	/* Two memberships per group, from four V processes. */
	for (i = 0; i < ng; i++)
		for (s = 0; s < MANY_SOCKS; s++)
			if (many_joined(i, s)) {
				ret = v_group_join(fd[s], created[i]);
				ASSERT_EQ(0, ret) TH_LOG("group %d, V process %d: %s", i, s,
							 strerror(-ret));
				m.in[i][s] = 1;
			}
	TH_LOG("%d groups created, %lld memberships joined in %lld ms", ng, 2LL * ng,
	       (long long)(vt_now_ms() - t0));
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(ng, groups);
	ASSERT_EQ(2LL * ng, members);

	/* A child process takes the last MANY_KID_JOINS; its next join is refused. */
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	pid = kid_fork(0);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int kfd, res[MANY_KID_JOINS + 2];
		uint64_t kid;

		close(p[0]);
		close(q[1]);
		kfd = v_open();
		CK(kfd >= 0);
		kid = vt_id(kfd);
		for (i = 0; i < MANY_KID_JOINS; i++)
			res[i] = v_group_join(kfd, created[i]);
		res[MANY_KID_JOINS] = v_group_join(kfd, created[MANY_KID_JOINS]);
		/* Already a member: that is not a new membership. */
		res[MANY_KID_JOINS + 1] = v_group_join(kfd, created[0]);
		CK(write(p[1], &kid, sizeof(kid)) == sizeof(kid));
		CK(write(p[1], res, sizeof(res)) == sizeof(res));
		/* Hold the memberships until killed. */
		CK(read(q[0], &c, 1) >= 0);
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	{
		int res[MANY_KID_JOINS + 2];

		ASSERT_EQ(0, vt_read_full(p[0], &m.kid_id, sizeof(m.kid_id), 10000));
		ASSERT_EQ(0, vt_read_full(p[0], res, sizeof(res), 10000));
		for (i = 0; i < MANY_KID_JOINS; i++) {
			ASSERT_EQ(0, res[i]) TH_LOG("child's join %d: %s", i, strerror(-res[i]));
		}
		ASSERT_EQ(-ENOSPC, res[MANY_KID_JOINS]) TH_LOG("join beyond max-members: %s",
							       strerror(-res[MANY_KID_JOINS]));
		ASSERT_EQ(-EEXIST, res[MANY_KID_JOINS + 1]);
	}
	close(p[0]);
	m.kid_joined = MANY_KID_JOINS;
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(ng, groups);
	ASSERT_EQ(limit, members);
	/* At the limit: no V process joins anything more, no group appears. */
	ASSERT_EQ(-ENOSPC, v_group_join(fd[0], created[2]));
	ASSERT_EQ(0, v_group_create(fd[0], &extra));
	ASSERT_EQ(-ENOSPC, v_group_join(fd[2], extra));
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(ng, groups);
	ASSERT_EQ(limit, members);

	/* vctl group show lists every group with exactly its members. */
	peak = vt_slab_active_bytes();
	t0 = vt_now_ms();
	listed = group_show(NULL, showlen, many_check, &m);
	TH_LOG("vctl group show: %d groups, %lld members listed in %lld ms", listed,
	       m.listed_members, (long long)(vt_now_ms() - t0));
	ASSERT_EQ(ng, listed);
	ASSERT_EQ(0, m.wrong);
	ASSERT_EQ(limit, m.listed_members);

	/* The child exits: its memberships go, and there is room again. */
	kill(pid, SIGKILL);
	ASSERT_EQ(1000 + SIGKILL, kid_wait(pid));
	close(q[1]);
	m.kid_joined = 0;
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(ng, groups);
	ASSERT_EQ(2LL * ng, members);
	ASSERT_EQ(0, v_group_join(fd[2], extra));
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(ng + 1, groups);
	ASSERT_EQ(2LL * ng + 1, members);
	ASSERT_EQ(0, v_group_leave(fd[2], extra));
	ASSERT_EQ(-ENOENT, v_group_leave(fd[2], extra));

	/* V process 0 leaves each of its groups: the others stay in them. */
	for (i = 0; i < ng; i++) {
		ret = v_group_leave(fd[0], created[i]);
		if (m.in[i][0]) {
			ASSERT_EQ(0, ret) TH_LOG("leave %d: %s", i, strerror(-ret));
			m.in[i][0] = 0;
		} else {
			ASSERT_EQ(-ENOENT, ret);
		}
	}
	many_expect(&m, &eg, &em);
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(eg, groups);
	ASSERT_EQ(em, members);
	/* V process 1 is closed, 2 shut down: their groups with nobody else go. */
	ASSERT_EQ(0, close(fd[1]));
	for (i = 0; i < ng; i++)
		m.in[i][1] = 0;
	many_expect(&m, &eg, &em);
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(eg, groups);
	ASSERT_EQ(em, members);
	ASSERT_EQ(0, shutdown(fd[2], SHUT_RDWR));
	for (i = 0; i < ng; i++)
		m.in[i][2] = 0;
	many_expect(&m, &eg, &em);
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(eg, groups);
	ASSERT_EQ(em, members);
	m.listed_members = m.wrong = 0;
	ASSERT_EQ(eg, group_show(NULL, showlen, many_check, &m));
	ASSERT_EQ(0, m.wrong);
	ASSERT_EQ(em, m.listed_members);
	ASSERT_EQ(0, close(fd[2]));
	ASSERT_EQ(0, close(fd[3]));
	ASSERT_EQ(0, close(fd[0]));
	ASSERT_EQ(0, host_groups(NULL, &groups, &members, NULL));
	ASSERT_EQ(0, groups);
	ASSERT_EQ(0, members);
	ASSERT_EQ(0, group_show(NULL, showlen, NULL, NULL));

	/* The memory of groups and memberships is given back. */
	sleep(1);
	after = vt_slab_active_bytes();
	tol = (peak - base) / 4;
	if (tol < 256 * 1024)
		tol = 256 * 1024;
	TH_LOG("active slab bytes: base %lld, at %lld memberships %+lld, after closing %+lld "
	       "(tolerance %lld)", base, limit, peak - base, after - base, tol);
	/* The measurement sees the memberships at all ... */
	ASSERT_LE(limit * 48, peak - base);
	/* ... and they are gone. */
	ASSERT_GT(tol, after - base);
	free(created);
	free(m.gids);
	free(m.idx);
	free(m.in);
}

/* ------------------------------------------------------------------------ */
/* 5. Very many members of one group, on two hosts                          */

static int one_group_members(uint64_t gid, const uint64_t *ids, int n, void *arg)
{
	long long *res = arg;	/* [0] the gid, [1] members listed, [2] other groups */

	if (gid == (uint64_t)res[0])
		res[1] = n;
	else
		res[2]++;
	(void)ids;
	return 0;
}

TEST_F_TIMEOUT(flood, group_many_members, 150)
{
	int na = BIG_MEMBERS * flood_scale(), nb, total, i, ret, cli, further = 0, nids;
	long long groups, members, rep0, drop0, rep1, drop1, got, show[3];
	uint64_t gid, replier, *all, *ids, *fur;
	struct pool pa, pb;
	struct v_send sd;
	struct v_msg msg, want;
	int64_t t0;

	if (na > BIG_MEMBERS_MAX - BIG_MEMBERS_A)
		na = BIG_MEMBERS_MAX - BIG_MEMBERS_A;
	nb = na;
	na += BIG_MEMBERS_A;
	total = na + nb;
	all = calloc(total, sizeof(*all));
	ids = calloc(V_GROUP_MEMBERS_MAX, sizeof(*ids));
	fur = calloc(total, sizeof(*fur));
	ASSERT_TRUE(all && ids && fur);
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	pa.ctl = pa.res = pb.ctl = pb.res = -1;

	ASSERT_EQ(0, topo_create());
	self->topo = 1;
	/* Further replies are kept as long as the test may take to fetch them. */
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set group-window-ms %d", 120000));
	cli = vt_ns_vopen(NS_A, 0);
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, v_group_create(cli, &gid));
	t0 = vt_now_ms();
	ASSERT_EQ(0, pool_start(&pa, NS_A, gid, na, 1));
	ASSERT_EQ(0, pool_start(&pb, NS_B, gid, nb, 1));
	TH_LOG("%d members on host A, %d on host B, joined in %lld ms", na, nb,
	       (long long)(vt_now_ms() - t0));
	memcpy(all, pa.ids, na * sizeof(*all));
	memcpy(all + na, pb.ids, nb * sizeof(*all));
	qsort(all, total, sizeof(*all), cmp_u64);
	for (i = 1; i < total; i++) {
		ASSERT_NE(all[i - 1], all[i]);
	}
	ASSERT_EQ(0, host_groups(NS_A, &groups, &members, NULL));
	ASSERT_EQ(1, groups);
	ASSERT_EQ(na, members);
	ASSERT_EQ(0, host_groups(NS_B, &groups, &members, NULL));
	ASSERT_EQ(1, groups);
	ASSERT_EQ(nb, members);
	/* Each host lists its own members, all of them. */
	show[0] = (long long)gid;
	show[1] = -1;
	show[2] = 0;
	ASSERT_EQ(1, group_show(NS_A, 4096 + (size_t)na * 40, one_group_members, show));
	EXPECT_EQ(na, show[1]) TH_LOG("vctl group show on host A lists %lld of %d members",
				      show[1], na);
	show[1] = -1;
	ASSERT_EQ(1, group_show(NS_B, 4096 + (size_t)nb * 40, one_group_members, show));
	EXPECT_EQ(nb, show[1]) TH_LOG("vctl group show on host B lists %lld of %d members",
				      show[1], nb);
	/* The members query finds both hosts' members. */
	nids = v_group_members(cli, gid, ids, V_GROUP_MEMBERS_MAX, 2000000000ULL * vt_scale());
	ASSERT_EQ(total, nids);
	qsort(ids, nids, sizeof(*ids), cmp_u64);
	ASSERT_EQ(0, memcmp(ids, all, total * sizeof(*ids)));

	rep0 = vt_stat(NS_A, "group_replies");
	drop0 = vt_stat(NS_A, "group_dropped");
	ASSERT_LE(0, rep0);
	ASSERT_LE(0, drop0);

	/* One group Send: the first reply completes it. */
	memset(&sd, 0, sizeof(sd));
	sd.dst = gid;
	sd.msg = mk(GREQ_CODE, 0);
	sd.timeout_ns = 60000000000ULL * vt_scale();
	t0 = vt_now_ms();
	ret = v_send_ex(cli, &sd);
	ASSERT_EQ(0, ret) TH_LOG("group Send: %s", strerror(-ret));
	TH_LOG("first reply after %lld ms, from host %s", (long long)(vt_now_ms() - t0),
	       pool_index(&pa, sd.replier) >= 0 ? "A" : "B");
	ASSERT_TRUE(in_sorted(sd.replier, all, total));
	want = greply(sd.replier, 0);
	ASSERT_TRUE(msg_eq(&want, &sd.msg));

	/* Every member receives it (each once, checked below). */
	ASSERT_EQ(0, pool_wait_received(&pa, na, 60000)) TH_LOG("host A members received %lld of %d",
							       (long long)pa.st.received, na);
	ASSERT_EQ(0, pool_wait_received(&pb, nb, 60000)) TH_LOG("host B members received %lld of %d",
							       (long long)pb.st.received, nb);
	TH_LOG("all %d members received it %lld ms after the Send", total,
	       (long long)(vt_now_ms() - t0));

	/* GetReply: further replies, each replier once, up to V_GROUP_REPLIES_MAX. */
	for (;;) {
		ret = v_get_reply(cli, &msg, &replier, 3000000000ULL * vt_scale());
		if (ret)
			break;
		ASSERT_GT(total, further);
		ASSERT_NE(sd.replier, replier);
		ASSERT_TRUE(in_sorted(replier, all, total));
		want = greply(replier, 0);
		ASSERT_TRUE(msg_eq(&want, &msg));
		fur[further++] = replier;
	}
	ASSERT_EQ(-ETIMEDOUT, ret) TH_LOG("GetReply after %d: %s", further, strerror(-ret));
	qsort(fur, further, sizeof(*fur), cmp_u64);
	for (i = 1; i < further; i++) {
		ASSERT_NE(fur[i - 1], fur[i]) TH_LOG("replier %#llx returned twice",
						     (unsigned long long)fur[i]);
	}
	rep1 = vt_stat(NS_A, "group_replies");
	drop1 = vt_stat(NS_A, "group_dropped");
	TH_LOG("GetReply returned %d further replies of %d; host A group_replies +%lld, "
	       "group_dropped +%lld", further, total - 1, rep1 - rep0, drop1 - drop0);
	ASSERT_EQ(total - 1 < V_GROUP_REPLIES_MAX ? total - 1 : V_GROUP_REPLIES_MAX, further);
	ASSERT_EQ(further, rep1 - rep0);
	ASSERT_LE(total - 1 - further, drop1 - drop0);

	/* Each member got the message exactly once, and replied. */
	ASSERT_EQ(0, pool_quit(&pa));
	ASSERT_EQ(0, pool_quit(&pb));
	for (i = 0; i < na; i++) {
		ASSERT_TRUE(pool_seen(&pa, i, 0)) TH_LOG("member %d of host A", i);
	}
	for (i = 0; i < nb; i++) {
		ASSERT_TRUE(pool_seen(&pb, i, 0)) TH_LOG("member %d of host B", i);
	}
	ASSERT_EQ(na, pa.st.received);
	ASSERT_EQ(nb, pb.st.received);
	ASSERT_EQ(0, pa.st.dups + pb.st.dups);
	ASSERT_EQ(0, pa.st.bad + pb.st.bad);
	ASSERT_EQ(0, pa.st.wrong_group + pb.st.wrong_group);
	ASSERT_EQ(0, pa.st.reply_enoent + pa.st.reply_err + pb.st.reply_enoent + pb.st.reply_err);

	/* Members gone, transaction closed: nothing is held any more. */
	ASSERT_EQ(0, host_groups(NS_A, &groups, &members, NULL));
	ASSERT_EQ(0, groups);
	ASSERT_EQ(0, members);
	ASSERT_EQ(0, host_groups(NS_B, &groups, &members, NULL));
	ASSERT_EQ(0, members);
	ASSERT_EQ(0, close(cli));
	/* Group aliens linger for the group-reply window (+ 1 s): shorten it. */
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set group-window-ms 1000"));
	ASSERT_LE(0, aliens_wait(NS_A, 0, 20000, &got)) TH_LOG("host A: %lld aliens", got);
	ASSERT_LE(0, aliens_wait(NS_B, 0, 20000, &got)) TH_LOG("host B: %lld aliens", got);
	pool_free(&pa);
	pool_free(&pb);
	free(all);
	free(ids);
	free(fur);
}

/* ------------------------------------------------------------------------ */
/* 6. More local members than max-aliens                                    */

TEST_F_TIMEOUT(flood, group_over_max_aliens, 120)
{
	int n = BUSY_MEMBERS, i, ret, cli, clib, further;
	long long busy0, busy1, got;
	uint64_t gid, replier;
	struct pool pa, pb;
	struct v_msg msg, want;
	struct v_send sd;
	int64_t t0;

	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	pa.ctl = pa.res = pb.ctl = pb.res = -1;
	ASSERT_EQ(0, topo_create());
	self->topo = 1;
	/* Room for one alien fewer than the group has members here. */
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set max-aliens %d max-aliens-host %d host-down-ms 1000 "
				"group-window-ms 60000", n - 1, n - 1));
	ASSERT_EQ(0, vt_ns_vctl(NS_B, "set host-down-ms 1000"));
	cli = vt_ns_vopen(NS_A, 0);
	ASSERT_LE(0, cli);
	clib = vt_ns_vopen(NS_B, 0);
	ASSERT_LE(0, clib);
	ASSERT_EQ(0, v_group_create(cli, &gid));
	ASSERT_EQ(0, pool_start(&pa, NS_A, gid, n, 4));
	busy0 = vt_stat(NS_A, "busy");
	ASSERT_LE(0, busy0);

	/* From host A itself: all or none, so none; busy until the Send gives up. */
	memset(&sd, 0, sizeof(sd));
	sd.dst = gid;
	sd.msg = mk(GREQ_CODE, 0);
	sd.timeout_ns = 60000000000ULL * vt_scale();
	t0 = vt_now_ms();
	ret = v_send_ex(cli, &sd);
	TH_LOG("group Send from host A to %d members there (max-aliens %d): %s after %lld ms",
	       n, n - 1, strerror(-ret), (long long)(vt_now_ms() - t0));
	ASSERT_EQ(-EBUSY, ret);
	/* From host B: host A refuses it busy all the same. */
	sd.msg = mk(GREQ_CODE, 1);
	t0 = vt_now_ms();
	ret = v_send_ex(clib, &sd);
	TH_LOG("group Send from host B: %s after %lld ms", strerror(-ret),
	       (long long)(vt_now_ms() - t0));
	ASSERT_EQ(-EBUSY, ret);
	busy1 = vt_stat(NS_A, "busy");
	ASSERT_LT(busy0 + 1, busy1);
	ASSERT_EQ(0, pool_report(&pa));
	ASSERT_EQ(0, pa.st.received);
	ASSERT_LE(0, aliens_wait(NS_A, 0, 1000, &got)) TH_LOG("host A: %lld aliens", got);

	/* With members on host B too the Send is answered, from B only. */
	ASSERT_EQ(0, pool_start(&pb, NS_B, gid, 3, 4));
	sd.msg = mk(GREQ_CODE, 2);
	ret = v_send_ex(cli, &sd);
	ASSERT_EQ(0, ret) TH_LOG("group Send with members on host B: %s", strerror(-ret));
	ASSERT_LE(0, pool_index(&pb, sd.replier));
	want = greply(sd.replier, 2);
	ASSERT_TRUE(msg_eq(&want, &sd.msg));
	ASSERT_EQ(0, pool_wait_received(&pb, 3, 10000));
	for (further = 0; !(ret = v_get_reply(cli, &msg, &replier, 2000000000ULL * vt_scale()));
	     further++) {
		ASSERT_LE(0, pool_index(&pb, replier));
		ASSERT_NE(sd.replier, replier);
	}
	ASSERT_EQ(-ETIMEDOUT, ret);
	ASSERT_EQ(2, further);
	ASSERT_EQ(0, pool_report(&pa));
	TH_LOG("host A's %d members received %lld (all or none: none), host A busy +%lld",
	       n, (long long)pa.st.received, vt_stat(NS_A, "busy") - busy0);
	ASSERT_EQ(0, pa.st.received);

	/* One more slot and host A takes it: every member once. */
	ASSERT_EQ(0, pool_quit(&pb));
	ASSERT_EQ(3, pb.st.received);
	ASSERT_EQ(0, pb.st.dups);
	ASSERT_LE(0, aliens_wait(NS_A, 0, 10000, &got)) TH_LOG("host A: %lld aliens", got);
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set max-aliens %d max-aliens-host %d", n, n));
	sd.msg = mk(GREQ_CODE, 3);
	ret = v_send_ex(cli, &sd);
	ASSERT_EQ(0, ret) TH_LOG("group Send with max-aliens %d: %s", n, strerror(-ret));
	ASSERT_LE(0, pool_index(&pa, sd.replier));
	want = greply(sd.replier, 3);
	ASSERT_TRUE(msg_eq(&want, &sd.msg));
	ASSERT_EQ(0, pool_wait_received(&pa, n, 30000));
	for (further = 0; !(ret = v_get_reply(cli, &msg, &replier, 2000000000ULL * vt_scale()));
	     further++) {
		ASSERT_LE(0, pool_index(&pa, replier));
		want = greply(replier, 3);
		ASSERT_TRUE(msg_eq(&want, &msg));
	}
	ASSERT_EQ(-ETIMEDOUT, ret);
	ASSERT_EQ(n - 1, further);
	ASSERT_EQ(0, pool_quit(&pa));
	ASSERT_EQ(n, pa.st.received);
	ASSERT_EQ(0, pa.st.dups + pa.st.bad + pa.st.reply_err + pa.st.reply_enoent);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(pool_seen(&pa, i, 3));
		ASSERT_FALSE(pool_seen(&pa, i, 0) || pool_seen(&pa, i, 1) || pool_seen(&pa, i, 2));
	}
	ASSERT_EQ(0, close(cli));
	ASSERT_EQ(0, close(clib));
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set group-window-ms 1000"));
	ASSERT_LE(0, aliens_wait(NS_A, 0, 20000, &got)) TH_LOG("host A: %lld aliens", got);
	pool_free(&pa);
	pool_free(&pb);
}

/* ------------------------------------------------------------------------ */
/* 7. A flood of group Sends from many clients                              */

struct gf_res {
	int32_t ret;
	int32_t further;	/* GetReply returned this many */
	int32_t bad;		/* wrong first reply or further reply */
	int32_t last;		/* the GetReply error that ended the collection */
	uint64_t replier;
};

static void __attribute__((noreturn)) gf_client(const char *ns, uint64_t gid, int ci, int nsend,
						 const uint64_t *all, int nall, int go, int res)
{
	struct gf_res r[GF_SENDS];
	uint64_t seen[2 * GF_MEMBERS], replier;
	struct v_msg msg, want;
	struct v_send sd;
	int fd, s, k;
	char c;

	memset(r, 0, sizeof(r));
	CK(ns_enter(ns) == 0);
	fd = v_open();
	CK(fd >= 0);
	CK(read(go, &c, 1) == 0);	/* the parent closes it: all start at once */
	for (s = 0; s < nsend; s++) {
		uint64_t tag = (uint64_t)ci * nsend + s;

		memset(&sd, 0, sizeof(sd));
		sd.dst = gid;
		sd.msg = mk(GREQ_CODE, tag);
		sd.timeout_ns = 60000000000ULL * vt_scale();
		r[s].ret = v_send_ex(fd, &sd);
		if (r[s].ret)
			continue;
		r[s].replier = sd.replier;
		want = greply(sd.replier, tag);
		if (!in_sorted(sd.replier, all, nall) || !msg_eq(&want, &sd.msg))
			r[s].bad++;
		/* The further replies come now: each replier once, this tag only. */
		seen[0] = sd.replier;
		for (k = 1;; k++) {
			int j, dup = 0;

			r[s].last = v_get_reply(fd, &msg, &replier, 0);
			if (r[s].last)
				break;
			want = greply(replier, tag);
			for (j = 0; j < k && j < 2 * GF_MEMBERS; j++)
				dup |= seen[j] == replier;
			if (dup || k >= 2 * GF_MEMBERS || !in_sorted(replier, all, nall) ||
			    !msg_eq(&want, &msg)) {
				r[s].bad++;
				break;
			}
			seen[k] = replier;
			r[s].further++;
		}
	}
	CK(write(res, r, nsend * sizeof(r[0])) == (ssize_t)(nsend * sizeof(r[0])));
	close(fd);
	_exit(0);
}

TEST_F_TIMEOUT(flood, group_send_flood, 150)
{
	int nc = GF_CLIENTS * flood_scale(), ncl, nall = 2 * GF_MEMBERS, c, s, go[2], cli;
	int res[2 * GF_CLIENTS_MAX];
	long long ok = 0, busy = 0, other = 0, bad = 0, further = 0, notseen = 0, got;
	long long ga, gb, busya, busyb, dl0, dl1;
	uint64_t gid, *all;
	struct pool pa, pb;
	struct gf_res (*r)[GF_SENDS];
	pid_t pids[2 * GF_CLIENTS_MAX];
	int64_t t0;

	if (nc > GF_CLIENTS_MAX)
		nc = GF_CLIENTS_MAX;
	ncl = 2 * nc;
	all = calloc(nall, sizeof(*all));
	r = calloc(ncl, sizeof(*r));
	ASSERT_TRUE(all && r);
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	pa.ctl = pa.res = pb.ctl = pb.res = -1;
	ASSERT_EQ(0, topo_create());
	self->topo = 1;
	/* This suite's keyed test: the flood of group Sends with every frame tagged. */
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set key " FLOOD_KEY));
	ASSERT_EQ(0, vt_ns_vctl(NS_B, "set key " FLOOD_KEY));
	/* Fewer aliens than the clients could ask for at once: some get busy. */
	ASSERT_EQ(0, vt_ns_vctl(NS_A, "set max-aliens %d host-down-ms %d group-window-ms %d",
				GF_MAX_ALIENS, GF_DOWN_MS, GF_WINDOW_MS));
	ASSERT_EQ(0, vt_ns_vctl(NS_B, "set max-aliens %d host-down-ms %d group-window-ms %d",
				GF_MAX_ALIENS, GF_DOWN_MS, GF_WINDOW_MS));
	cli = vt_ns_vopen(NS_A, 0);
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, v_group_create(cli, &gid));
	close(cli);
	ASSERT_EQ(0, pool_start(&pa, NS_A, gid, GF_MEMBERS, ncl * GF_SENDS));
	ASSERT_EQ(0, pool_start(&pb, NS_B, gid, GF_MEMBERS, ncl * GF_SENDS));
	memcpy(all, pa.ids, GF_MEMBERS * sizeof(*all));
	memcpy(all + GF_MEMBERS, pb.ids, GF_MEMBERS * sizeof(*all));
	qsort(all, nall, sizeof(*all), cmp_u64);
	busya = vt_stat(NS_A, "busy");
	busyb = vt_stat(NS_B, "busy");
	dl0 = vt_stat(NS_A, "group_delivered") + vt_stat(NS_B, "group_delivered");

	/* Half the clients on each host, all starting at once. */
	ASSERT_EQ(0, pipe(go));
	for (c = 0; c < ncl; c++) {
		int p[2];

		ASSERT_EQ(0, pipe(p));
		pids[c] = kid_fork(300 * vt_scale());
		ASSERT_LE(0, pids[c]);
		if (pids[c] == 0) {
			close(go[1]);
			close(p[0]);
			gf_client(c % 2 ? NS_B : NS_A, gid, c, GF_SENDS, all, nall, go[0], p[1]);
		}
		close(p[1]);
		res[c] = p[0];
	}
	close(go[0]);
	usleep(200000);
	t0 = vt_now_ms();
	close(go[1]);
	for (c = 0; c < ncl; c++) {
		ASSERT_EQ(0, vt_read_full(res[c], r[c], sizeof(r[c]), 240000))
			TH_LOG("client %d reported nothing", c);
		close(res[c]);
		ASSERT_EQ(0, kid_wait(pids[c])) TH_LOG("client %d", c);
	}
	ASSERT_EQ(0, pool_quit(&pa));
	ASSERT_EQ(0, pool_quit(&pb));
	dl1 = vt_stat(NS_A, "group_delivered") + vt_stat(NS_B, "group_delivered");
	for (c = 0; c < ncl; c++)
		for (s = 0; s < GF_SENDS; s++) {
			struct gf_res *x = &r[c][s];
			uint64_t tag = (uint64_t)c * GF_SENDS + s;
			int ia = pool_index(&pa, x->replier), ib = pool_index(&pb, x->replier);

			bad += x->bad;
			if (x->ret == 0) {
				ok++;
				further += x->further;
				if (x->last != -ETIMEDOUT && x->last != -ENOENT)
					bad++;
				/* The member that replied did receive it. */
				if (!(ia >= 0 && pool_seen(&pa, ia, tag)) &&
				    !(ib >= 0 && pool_seen(&pb, ib, tag)))
					notseen++;
			} else if (x->ret == -EBUSY) {
				busy++;
			} else {
				other++;
				TH_LOG("client %d, Send %d: %s", c, s, strerror(-x->ret));
			}
		}
	ga = pa.st.received;
	gb = pb.st.received;
	TH_LOG("%d clients x %d group Sends to %d members in %lld ms: %lld answered (%lld "
	       "further replies by GetReply), %lld EBUSY, %lld other errors; members received "
	       "A %lld, B %lld (group_delivered +%lld), cancelled replies A %lld B %lld; busy "
	       "refusals A +%lld B +%lld", ncl, GF_SENDS, nall, (long long)(vt_now_ms() - t0),
	       ok, further, busy, other, ga, gb, dl1 - dl0, (long long)pa.st.reply_enoent,
	       (long long)pb.st.reply_enoent, vt_stat(NS_A, "busy") - busya,
	       vt_stat(NS_B, "busy") - busyb);
	/* Each transaction: answered once, by a member that got it, or EBUSY. */
	ASSERT_EQ((long long)ncl * GF_SENDS, ok + busy + other);
	ASSERT_EQ(0, other);
	ASSERT_EQ(0, bad);
	ASSERT_EQ(0, notseen);
	ASSERT_LT(0, ok);
	/* No member got one transaction twice; none got anything else. */
	ASSERT_EQ(0, pa.st.dups + pb.st.dups);
	ASSERT_EQ(0, pa.st.bad + pb.st.bad + pa.st.wrong_group + pb.st.wrong_group);
	ASSERT_EQ(0, pa.st.reply_err + pb.st.reply_err);
	/* Delivered and then cancelled (the client moved on) is not received. */
	ASSERT_LE(ga + gb, dl1 - dl0);
	/* Everything is let go. */
	ASSERT_LE(0, aliens_wait(NS_A, 0, 20000, &got)) TH_LOG("host A: %lld aliens", got);
	ASSERT_LE(0, aliens_wait(NS_B, 0, 20000, &got)) TH_LOG("host B: %lld aliens", got);
	pool_free(&pa);
	pool_free(&pb);
	free(all);
	free(r);
}

/* TEST_HARNESS_MAIN, with the timeouts scaled like the waits. */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	const char *only = getenv("VK_FLOOD_ONLY");
	struct __fixture_metadata *f;
	struct __test_metadata *t, **link;
	char list[1024], name[160], *p;

	snprintf(list, sizeof(list), ",%s,", only ? only : "");
	for (p = list; (p = strchr(p, ':')); )
		*p = ',';	/* VK_GUEST_ENV separates its variables by commas */
	for (f = __fixture_list; f; f = f->next) {
		/* VK_FLOOD_ONLY=a:b (or a,b): only the tests named. */
		for (link = &f->tests; only && *link;) {
			snprintf(name, sizeof(name), ",%s,", (*link)->name);
			if (strstr(list, name))
				link = &(*link)->next;
			else
				*link = (*link)->next;
		}
		for (t = f->tests; t; t = t->next)
			t->timeout *= vt_scale() * flood_scale();
	}
	return test_harness_run(argc, argv);
}
