// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "scale": many V hosts on one raw-Ethernet bridge (issue 29, part
 * 4), and what each operation costs on the link as the cluster grows.
 *
 * Topology: K network namespaces vkz0..vkz{K-1} (K V hosts), each with a
 * veth "vkze" whose peer vkzhN sits in the bridge vkzbr of the initial
 * namespace, links attached insecure (as suite groups does: a cluster key
 * adds a tag to every frame but not one frame more, and the counts are
 * what this suite is about).  Fixture "scale" runs every test twice:
 * variant h8 with 8 hosts, then variant hn with VK_SCALE_HOSTS hosts
 * (default 16; 64 for the table).  The topology is built by the
 * variant's first test (claims, all links attached at once) and kept for
 * the variant's others: building 64 namespaces is most of a test's time
 * under emulation.
 *
 * Frames an operation puts on the link: the sum over all K hosts of
 * `vctl -j stats` tx_frames across it (each host has one link, so a
 * broadcast is one frame, as it is one frame on a real LAN).  Each test
 * records its operations' counts per operation in FILE_COUNTS; fixture
 * "growth" then prints the table (`# scale: OP HOSTS FRAMES`) and asserts
 * that no operation's count grows faster than linearly from 8 to K: per
 * operation constant for unicast operations (a Send-Receive-Reply, a
 * GetPid answered by one host, a host's claim), at most K/8 times the
 * 8-host count for those every host answers (a group Send, a members
 * query), with a small slack.  Counts, never timings: the machine's load
 * moves times by half, counts only through retransmissions (and GetPids
 * asked again), which each measurement reports as its noise (retransmits
 * + duplicates of every host): the exact per-test checks hold when it is
 * 0, their bounds allow for it, and the growth test takes it off the
 * larger cluster's count.
 *
 * V processes: one server per host (a child, blocked in Receive, replying
 * to everything with its id and the request's tag: vt_reply_of()), and one
 * client socket per host opened by the test process in that namespace.
 */
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include "vtest.h"
#include "vwire.h"
#define VT_KIDS_MAX	256
#define VT_KID_ALARM_S	900
#include "vkids.h"
#include "kselftest_harness.h"

#define NS_FMT		"vkz%d"
#define PORT_FMT	"vkzh%d"
#define VETH		"vkze"
#define BRIDGE		"vkzbr"
#define HMAX		128		/* hosts at most (VK_SCALE_HOSTS) */
#define HBASE		8		/* the hosts the growth is measured from */
#define HDEFAULT	16		/* VK_SCALE_HOSTS unset: make check's */
#define MS_WAIT		10000		/* ordinary bounded waits (scaled) */
#define REQ_CODE	0x05ca
#define LID		0x5ca1e		/* the logical id of the GetPid test */
#define QUERY_MS	600		/* a members query's wait (scaled) */
#define GETPID_RETRY_MS	200		/* V_GETPID_RETRY_MS of vkmod/registry.c */
#define FILE_COUNTS	"/tmp/vk-scale-counts"
#define MAP_AGE_MIN_S	"1000"		/* map-age-ms while the aging test waits: */
#define MAP_AGE_DEFAULT_S "300000"	/* V_MAP_AGE_MS_MIN, then back to the default */

/* Hosts this run measures beside HBASE: VK_SCALE_HOSTS, within [HBASE, HMAX]. */
static int scale_hosts(void)
{
	const char *s = getenv("VK_SCALE_HOSTS");
	int n = s && *s ? atoi(s) : HDEFAULT;

	return n < HBASE ? HBASE : n > HMAX ? HMAX : n;
}

/* Host h's namespace name (rotating buffers: several in one expression). */
static const char *hn(int h)
{
	static char names[16][16];
	static unsigned int next;
	char *s = names[next++ % 16];

	snprintf(s, sizeof(names[0]), NS_FMT, h);
	return s;
}

/* ------------------------------------------------------------------------ */
/* The topology                                                             */

/*
 * Delete every host this suite made, and the bridge; only what exists:
 * asking for a device that does not exist makes the kernel look for a
 * module of that name (request_module("netdev-...")), a modprobe over 9p
 * that costs about 0.2 s each under emulation.
 */
static void topo_destroy(void)
{
	size_t len = (HMAX * 2 + 2) * 32, k = 0;
	char *script = malloc(len), path[96];
	int i;

	if (!script)
		return;
	for (i = 0; i < HMAX; i++) {
		/* Deleting the bridge side of a veth deletes both ends at once. */
		snprintf(path, sizeof(path), "/sys/class/net/" PORT_FMT, i);
		if (!access(path, F_OK))
			k += snprintf(script + k, len - k, "link del " PORT_FMT "\n", i);
		snprintf(path, sizeof(path), "/run/netns/" NS_FMT, i);
		if (!access(path, F_OK))
			k += snprintf(script + k, len - k, "netns del " NS_FMT "\n", i);
	}
	if (!access("/sys/class/net/" BRIDGE, F_OK))
		k += snprintf(script + k, len - k, "link del " BRIDGE "\n");
	if (k)
		vt_ip_batch(script, 1);
	free(script);
}

/* Is the topology there with exactly k hosts (the last one's port in the bridge)? */
static int topo_has(int k)
{
	char path[96];

	snprintf(path, sizeof(path), "/run/netns/" NS_FMT, k - 1);
	if (access(path, F_OK))
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/" PORT_FMT "/master", k - 1);
	if (access(path, F_OK))
		return 0;
	snprintf(path, sizeof(path), "/run/netns/" NS_FMT, k);
	return access(path, F_OK) != 0;
}

/*
 * Hosts 0..k-1: namespace, veth into the bridge, lo and the veth up; no
 * link attached yet (topo_attach()).
 */
static int topo_build(int k)
{
	static const char *const mods[] = { "veth", "bridge" };
	size_t len = (k * 2 + 4) * 96, n = 0;
	char *script = malloc(len), path[64];
	unsigned int m;
	int i, ret = -1;

	if (!script)
		return -1;
	for (m = 0; m < sizeof(mods) / sizeof(mods[0]); m++) {
		snprintf(path, sizeof(path), "/sys/module/%s", mods[m]);
		if (access(path, F_OK))
			vt_sh("modprobe -q %s", mods[m]);
	}
	/* Namespaces first, in a batch of their own (netns add unshares). */
	for (i = 0; i < k; i++)
		n += snprintf(script + n, len - n, "netns add " NS_FMT "\n", i);
	if (vt_ip_batch(script, 0))
		goto out;
	n = snprintf(script, len, "link add " BRIDGE " type bridge\nlink set " BRIDGE " up\n");
	for (i = 0; i < k; i++)
		n += snprintf(script + n, len - n,
			      "link add " PORT_FMT " type veth peer name " VETH " netns " NS_FMT "\n"
			      "link set " PORT_FMT " master " BRIDGE " up\n", i, i, i);
	if (vt_ip_batch(script, 0))
		goto out;
	for (i = 0; i < k; i++) {
		if (vt_ns_enter(hn(i)))
			goto out;
		ret = vt_if_up("lo") || vt_if_up(VETH);
		vt_ns_leave();
		if (ret) {
			ret = -1;
			goto out;
		}
	}
	ret = 0;
out:
	free(script);
	return ret;
}

/*
 * `vctl link add` on hosts 0..k-1 all at once (one vctl each, started
 * together: their claims overlap on the bridge).  The number of hosts
 * whose vctl failed (their exit status in st[]), or -1.
 */
static int topo_attach(int k, int *st)
{
	pid_t pids[HMAX];
	int i, bad = 0, ws;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < k; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(vt_vctl_run(hn(i), "link add dev " VETH " insecure", NULL, 0, 0));
		if (pids[i] < 0)
			return -1;
	}
	for (i = 0; i < k; i++) {
		st[i] = waitpid(pids[i], &ws, 0) == pids[i] && WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
		bad += st[i] != 0;
	}
	return bad;
}

#define vctl(h, ...)	vt_ns_vctl(hn(h), __VA_ARGS__)

#define VCTL_BATCH	8	/* vctl runs at once (vctl_all) */

/*
 * `vctl ARGS` (split at spaces) on every host 0..k-1, VCTL_BATCH at a
 * time: a suite that reads every host's counters around each operation
 * spends most of its time starting vctl (from 9p, under emulation), and
 * runs overlap on the guest's two CPUs.  Host h's output into
 * out + h * len (NUL-terminated; out NULL: discarded).  The number of
 * hosts whose vctl failed.
 */
static int vctl_all(int k, const char *args, char *out, size_t len)
{
	char buf[256], *argv[16], *tok, *save = NULL, sink[4096];
	int argc = 0, h, b, bad = 0, fds[VCTL_BATCH];
	pid_t pids[VCTL_BATCH];

	snprintf(buf, sizeof(buf), "%s", args);
	argv[argc++] = (char *)vt_vctl_bin();
	for (tok = strtok_r(buf, " ", &save); tok && argc < 15; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	for (h = 0; h < k; h += VCTL_BATCH) {
		int n = k - h < VCTL_BATCH ? k - h : VCTL_BATCH;

		for (b = 0; b < n; b++) {
			int p[2];

			pids[b] = -1;
			fds[b] = -1;
			if (pipe2(p, O_CLOEXEC))
				continue;
			pids[b] = fork();
			if (pids[b] == 0) {
				int null = open("/dev/null", O_WRONLY);

				dup2(p[1], 1);
				dup2(null, 2);
				if (vt_ns_enter(hn(h + b)))
					_exit(126);
				execv(argv[0], argv);
				_exit(127);
			}
			close(p[1]);
			fds[b] = p[0];
		}
		for (b = 0; b < n; b++) {
			char *o = out ? out + (size_t)(h + b) * len : sink;
			size_t cap = (out ? len : sizeof(sink)) - 1, got = 0;
			int st, over = 0;
			ssize_t r;

			/* Past cap (or discarded): read on into sink, so vctl ends. */
			while (fds[b] >= 0) {
				int full = !out || got == cap;

				r = read(fds[b], full ? sink : o + got, full ? sizeof(sink) : cap - got);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					break;
				if (full)
					over |= !!out;
				else
					got += r;
			}
			o[out ? got : 0] = '\0';
			if (fds[b] >= 0)
				close(fds[b]);
			if (pids[b] <= 0 || waitpid(pids[b], &st, 0) != pids[b] || !WIFEXITED(st) ||
			    WEXITSTATUS(st) || over)
				bad++;
		}
	}
	return bad;
}

/* ------------------------------------------------------------------------ */
/* Counting frames                                                          */

/* The counters of one host this suite reads (`vctl -j stats`). */
struct hc {
	long long tx, retx, dup, coll, aged, mapq, gsends, gdeliv, greplies;
};

static const struct {
	const char *name;
	size_t off;
} hc_names[] = {
	{ "tx_frames", offsetof(struct hc, tx) },
	{ "retransmits", offsetof(struct hc, retx) },
	{ "duplicates", offsetof(struct hc, dup) },
	{ "collisions", offsetof(struct hc, coll) },
	{ "map_aged", offsetof(struct hc, aged) },
	{ "map_queries", offsetof(struct hc, mapq) },
	{ "group_sends", offsetof(struct hc, gsends) },
	{ "group_delivered", offsetof(struct hc, gdeliv) },
	{ "group_replies", offsetof(struct hc, greplies) },
};

#define HC(c, i)	(*(long long *)((char *)(c) + hc_names[i].off))
#define NHC		(int)(sizeof(hc_names) / sizeof(hc_names[0]))

/* A host's counters into c from its `vctl -j stats`: 0, or -1 (a counter is missing). */
static int hc_parse(const char *json, struct hc *c)
{
	int i;

	for (i = 0; i < NHC; i++)
		if ((HC(c, i) = vt_json_num(json, hc_names[i].name)) < 0)
			return -1;
	return 0;
}

/* Host h's counters into c: 0, or -1. */
static int hc_read(int h, struct hc *c)
{
	char buf[4096];

	if (vt_vctl_run(hn(h), "-j stats", buf, sizeof(buf), 0) != 0)
		return -1;
	return hc_parse(buf, c);
}

#define STATS_LEN	4096

static int64_t snap_ms;		/* time spent in snap() (VK_SCALE_TIMING) */

/* Every host's counters (c[0..k)): 0, or -1. */
static int snap(int k, struct hc *c)
{
	char *out = malloc((size_t)k * STATS_LEN);
	int64_t t0 = vt_now_ms();
	int h, ret = out ? vctl_all(k, "-j stats", out, STATS_LEN) : -1;

	for (h = 0; h < k && !ret; h++)
		if (hc_parse(out + (size_t)h * STATS_LEN, &c[h]))
			ret = -1;
	free(out);
	snap_ms += vt_now_ms() - t0;
	return ret ? -1 : 0;
}

/* VK_SCALE_TIMING=1: where a test's time goes. */
static void phase(const char *what)
{
	static int64_t t0;

	if (!getenv("VK_SCALE_TIMING"))
		return;
	if (!t0 || !what)
		t0 = vt_now_ms();
	if (what)
		printf("# scale-time: %-24s +%lld ms (snapshots %lld ms)\n", what,
		       (long long)(vt_now_ms() - t0), (long long)snap_ms);
	fflush(stdout);
}

/* The sum over hosts 0..k-1 of counter i, after less before. */
static long long delta(int k, const struct hc *a, const struct hc *b, int i)
{
	long long s = 0;
	int h;

	for (h = 0; h < k; h++)
		s += HC(&b[h], i) - HC(&a[h], i);
	return s;
}

#define D_TX	0	/* indexes of hc_names[] */
#define D_RETX	1
#define D_DUP	2
#define D_COLL	3
#define D_GDELIV	7

/*
 * Frames beyond the operation's own: every retransmission and every
 * duplicate a host received (each may draw an answer again).  Zero on a
 * quiet machine; the exact checks hold only then.
 */
static long long noise(int k, const struct hc *a, const struct hc *b)
{
	return delta(k, a, b, D_RETX) + delta(k, a, b, D_DUP);
}

/*
 * Record op's frames at k hosts (variant var): frames over ops operations,
 * noisy frames among them at most (retransmitted, or answers to them);
 * printed, and appended to FILE_COUNTS for the growth test.
 */
static void record(const char *var, int k, const char *op, long long frames, int ops,
		   long long noisy)
{
	double per = ops ? (double)frames / ops : 0;
	FILE *f = fopen(FILE_COUNTS, "a");

	printf("# scale: %-16s %3d %9.2f   (%lld frames / %d, noise %lld)\n",
	       op, k, per, frames, ops, noisy);
	fflush(stdout);
	if (f) {
		fprintf(f, "%s %d %s %.4f %lld %d %lld\n", var, k, op, per, frames, ops, noisy);
		fclose(f);
	}
}

/* ------------------------------------------------------------------------ */
/* Servers                                                                  */

/* What each host's server saw (shared with the servers). */
struct srvstat {
	uint64_t id;
	uint64_t rx;		/* messages received */
	uint64_t grx;		/* of them group Sends */
};

static struct srvstat *ss;	/* HMAX of them, MAP_SHARED */

/*
 * Start a server on each of hosts 0..k-1, members of gid when it is not
 * 0: ss[h].id once each is in Receive's reach.  0, or -1.  The teardown
 * kills them.
 */
static int servers_start(int k, uint64_t gid)
{
	int p[2], h, ret = 0;
	uint64_t id;

	memset(ss, 0, sizeof(*ss) * HMAX);
	if (pipe(p))
		return -1;
	for (h = 0; h < k; h++) {
		pid_t pid = kid_fork(0);

		if (pid < 0)
			return -1;
		if (pid == 0) {
			struct v_receive r;
			int fd;

			close(p[0]);
			CKEQ(0, vt_ns_enter(hn(h)));
			fd = v_open();
			CK(fd >= 0);
			CKEQ(0, v_self(fd, &id));
			if (gid)
				CKEQ(0, v_group_join(fd, gid));
			ss[h].id = id;
			CK(write(p[1], &h, sizeof(h)) == sizeof(h));
			for (;;) {
				struct v_msg m;

				memset(&r, 0, sizeof(r));
				if (v_receive_ex(fd, &r))
					continue;
				__atomic_add_fetch(&ss[h].rx, 1, __ATOMIC_SEQ_CST);
				if (r.group)
					__atomic_add_fetch(&ss[h].grx, 1, __ATOMIC_SEQ_CST);
				m = vt_reply_of(id, v_msg_get64(&r.msg, 8));
				v_reply(fd, r.sender, &m);
			}
		}
	}
	close(p[1]);
	for (h = 0; h < k; h++) {
		int who;

		if (vt_read_full(p[0], &who, sizeof(who), MS_WAIT))
			ret = -1;
	}
	close(p[0]);
	for (h = 0; h < k && !ret; h++)
		if (!ss[h].id)
			ret = -1;
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One Send of tag from fd to dst, bounded: 0 with *replier and *reply, or -errno. */
static int send_to(int fd, uint64_t dst, uint64_t tag, uint64_t *replier, struct v_msg *reply)
{
	struct v_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.timeout_ns = (uint64_t)MS_WAIT * 1000000ULL * vt_scale();
	s.msg = mk(REQ_CODE, tag);
	ret = v_send_ex(fd, &s);
	*replier = s.replier;
	*reply = s.msg;
	return ret;
}

/* A round trip from fd to server j answered by it: 0, or -errno / -EBADMSG. */
static int srr(int fd, int j, uint64_t tag)
{
	struct v_msg m;
	uint64_t rep = 0;
	int ret = send_to(fd, ss[j].id, tag, &rep, &m);

	if (ret)
		return ret;
	return rep == ss[j].id && vt_reply_ok(&m, rep, tag) ? 0 : -EBADMSG;
}

/* ------------------------------------------------------------------------ */
/* Fixture scale                                                            */

FIXTURE(scale) {
	pid_t owner;
	int k;
	int fd[HMAX];		/* a client on each host (the test process's) */
	uint32_t hp[HMAX];	/* host parts */
};

FIXTURE_VARIANT(scale) {
	int base;		/* 1: HBASE hosts; 0: VK_SCALE_HOSTS */
	const char *name;
};

FIXTURE_VARIANT_ADD(scale, h8) { .base = 1, .name = "h8" };
FIXTURE_VARIANT_ADD(scale, hn) { .base = 0, .name = "hn" };

static pid_t main_pid;

/* The counts of an earlier run must not be read as this run's. */
static void __attribute__((constructor)) scale_init(void)
{
	main_pid = getpid();
	unlink(FILE_COUNTS);
}

/* The runner's rmmod needs every namespace gone. */
static void __attribute__((destructor)) scale_fini(void)
{
	if (getpid() == main_pid)
		topo_destroy();
}

/* Open a client on each host: 0, or the first error. */
static int clients_open(FIXTURE_DATA(scale) *self)
{
	int h;

	for (h = 0; h < self->k; h++) {
		self->fd[h] = vt_ns_vopen(hn(h), 0);
		if (self->fd[h] < 0)
			return self->fd[h];
		self->hp[h] = v_id_host(vt_id(self->fd[h]));
	}
	return 0;
}

FIXTURE_SETUP(scale)
{
	int st[HMAX], h;

	phase(NULL);
	self->owner = getpid();
	self->k = variant->base ? HBASE : scale_hosts();
	for (h = 0; h < HMAX; h++)
		self->fd[h] = -1;
	nkids = 0;
	ss = mmap(NULL, sizeof(*ss) * HMAX, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ss);
	ASSERT_LE(0, vt_root_open());
	/* The claims test builds its own; the others keep the variant's. */
	if (strstr(_metadata->name, "claims"))
		return;
	if (!topo_has(self->k)) {
		topo_destroy();
		ASSERT_EQ(0, topo_build(self->k)) TH_LOG("cannot build %d hosts", self->k);
		ASSERT_EQ(0, topo_attach(self->k, st)) TH_LOG("link add failed on some host");
	}
	ASSERT_EQ(0, clients_open(self));
	phase("setup");
}

FIXTURE_TEARDOWN(scale)
{
	int h;

	if (getpid() != self->owner)
		return;
	phase("test");
	kids_kill_all();
	for (h = 0; h < HMAX; h++)
		if (self->fd[h] >= 0)
			close(self->fd[h]);
	vt_root_close();
	phase("teardown");
}

/*
 * K hosts attach their links at once: every vctl succeeds, every host
 * part is distinct and non-zero (and the one its processes' ids carry),
 * no host counts a collision, and each host put exactly V_CLAIM_TRIES
 * frames (its CLAIMs) on the link: nobody answers a CLAIM of a part it
 * does not own, so claims cost K x 3 frames, 3 per host at any K.
 */
TEST_F_TIMEOUT(scale, claims_at_once_distinct, 600)
{
	struct hc before[HMAX] = { 0 }, after[HMAX] = { 0 };	/* before: zeros */
	int st[HMAX], h, j, k = self->k;
	char *show;

	topo_destroy();
	phase("destroyed");
	ASSERT_EQ(0, topo_build(k)) TH_LOG("cannot build %d hosts", k);
	phase("built");
	/* Counters of new hosts start at 0: no snapshot before (K vctl runs). */
	ASSERT_EQ(0, topo_attach(k, st));
	phase("attached");
	ASSERT_EQ(0, snap(k, after));
	ASSERT_EQ(0, clients_open(self));
	show = malloc((size_t)k * STATS_LEN);
	ASSERT_NE(NULL, show);
	ASSERT_EQ(0, vctl_all(k, "-j host show", show, STATS_LEN));
	for (h = 0; h < k; h++) {
		ASSERT_NE(0, self->hp[h]) TH_LOG("host %d", h);
		ASSERT_EQ(self->hp[h], vt_json_num(show + (size_t)h * STATS_LEN, "host_part"))
			TH_LOG("host %d", h);
		for (j = 0; j < h; j++)
			ASSERT_NE(self->hp[j], self->hp[h])
				TH_LOG("hosts %d and %d share 0x%x", j, h, self->hp[h]);
		ASSERT_EQ(0, after[h].coll - before[h].coll) TH_LOG("host %d counted a collision", h);
		ASSERT_EQ(V_CLAIM_TRIES, after[h].tx - before[h].tx)
			TH_LOG("host %d sent %lld frames to attach", h, after[h].tx - before[h].tx);
	}
	free(show);
	record(variant->name, k, "claim_per_host", delta(k, before, after, D_TX), k,
	       noise(k, before, after));
}

/*
 * Every host to every other host: a Send from the client of host i to the
 * server of host j, answered by it, for all i != j, twice.  The first
 * round may have to find a host first (a WHERE broadcast and its HERE,
 * when the CLAIM was sent before the asking host attached): at most 4
 * frames a round trip.  The second finds every host in the mapping table:
 * exactly REQUEST and RESPONSE, 2 frames, on a quiet machine.
 */
TEST_F_TIMEOUT(scale, all_pairs_srr, 900)
{
	struct hc a[HMAX] = { 0 }, b[HMAX] = { 0 }, c[HMAX] = { 0 };
	int i, j, round, k = self->k, pairs = k * (k - 1);
	long long fr, nz;

	ASSERT_EQ(0, servers_start(k, 0));
	phase("servers");
	ASSERT_EQ(0, snap(k, a));
	for (round = 0; round < 2; round++) {
		for (i = 0; i < k; i++)
			for (j = 0; j < k; j++) {
				if (i == j)
					continue;
				ASSERT_EQ(0, srr(self->fd[i], j, (uint64_t)round << 32 | i << 16 | j))
					TH_LOG("round %d: host %d to host %d", round, i, j);
			}
		ASSERT_EQ(0, snap(k, round ? c : b));
		phase("round");
	}
	for (j = 0; j < k; j++)
		ASSERT_EQ(2 * (k - 1), ss[j].rx) TH_LOG("server of host %d", j);
	/* Traffic among many hosts makes no host think its part is taken. */
	ASSERT_EQ(0, delta(k, a, c, D_COLL));
	fr = delta(k, a, b, D_TX);
	nz = noise(k, a, b);
	record(variant->name, k, "srr_first", fr, pairs, nz);
	ASSERT_GE(fr, 2LL * pairs);
	ASSERT_LE(fr, 4LL * pairs + 2 * nz);
	fr = delta(k, b, c, D_TX);
	nz = noise(k, b, c);
	record(variant->name, k, "srr", fr, pairs, nz);
	if (!nz)
		ASSERT_EQ(2LL * pairs, fr);
	ASSERT_LE(fr, 2LL * pairs + 2 * nz);
}

/*
 * A group with a member on each of the K hosts (each host's server).
 * Members query from host 0: all K, each once.  A group Send from a
 * client of host K/2 (no member itself): answered by one member, the
 * K-1 others' replies kept and GetReply gives each once, then ETIMEDOUT;
 * each member got the request once.  GetReply is asked only once every
 * reply is in (group_replies), so it never has to ask the members again:
 * the Send's frames are then its one multicast GREQUEST and the K-1
 * remote members' RESPONSEs (the local member answers without a frame).
 */
TEST_F_TIMEOUT(scale, group_send_get_reply_members, 600)
{
	struct hc a0[HMAX] = { 0 }, a[HMAX] = { 0 }, b[HMAX] = { 0 };
	uint64_t gid, ids[HMAX + 1], want[HMAX], rep;
	struct v_msg m;
	int h, n, k = self->k, s = k / 2;
	long long fr, nz, kept0, end;

	ASSERT_EQ(0, v_group_create(self->fd[0], &gid));
	ASSERT_EQ(0, servers_start(k, gid));
	phase("servers");
	for (h = 0; h < k; h++)
		want[h] = ss[h].id;
	/* The replies must outlast the waits of a loaded machine. */
	ASSERT_EQ(0, vctl(s, "set group-window-ms %d", 60000));

	/* Members query. */
	ASSERT_EQ(0, snap(k, a));
	memcpy(a0, a, sizeof(a0));
	n = v_group_members(self->fd[0], gid, ids, HMAX + 1,
			    (uint64_t)QUERY_MS * 1000000ULL * vt_scale());
	ASSERT_EQ(0, snap(k, b));
	ASSERT_EQ(k, n);
	qsort(ids, n, sizeof(ids[0]), cmp_u64);
	qsort(want, k, sizeof(want[0]), cmp_u64);
	ASSERT_EQ(0, memcmp(ids, want, k * sizeof(ids[0])));
	fr = delta(k, a, b, D_TX);
	nz = noise(k, a, b);
	record(variant->name, k, "members_query", fr, 1, nz);
	/* Three asks (at the start, a third and two thirds in: group.c), each
	 * answered by every other host once: 3K frames at most. */
	ASSERT_LE(fr, 3LL * k + nz);
	phase("members");

	/* Group Send and GetReply: from where the query ended (b). */
	memcpy(a, b, sizeof(a));
	kept0 = a[s].greplies;
	ASSERT_EQ(0, send_to(self->fd[s], gid, 0x6e0, &rep, &m));
	ASSERT_TRUE(vt_reply_ok(&m, rep, 0x6e0)) TH_LOG("replier 0x%llx", (unsigned long long)rep);
	end = vt_now_ms() + (long long)MS_WAIT * vt_scale();
	do {
		struct hc c;

		ASSERT_EQ(0, hc_read(s, &c));
		if (c.greplies - kept0 >= k - 1)
			break;
		usleep(50000);
	} while (vt_now_ms() < end);
	ids[0] = rep;
	for (n = 1; n < k; n++) {
		ASSERT_EQ(0, v_get_reply(self->fd[s], &m, &ids[n], 0)) TH_LOG("reply %d of %d", n, k);
		ASSERT_TRUE(vt_reply_ok(&m, ids[n], 0x6e0));
	}
	ASSERT_EQ(-ETIMEDOUT, v_get_reply(self->fd[s], &m, &rep, 0));
	ASSERT_EQ(0, snap(k, b));
	qsort(ids, k, sizeof(ids[0]), cmp_u64);
	ASSERT_EQ(0, memcmp(ids, want, k * sizeof(ids[0]))) TH_LOG("each member once");
	for (h = 0; h < k; h++)
		ASSERT_EQ(1, ss[h].grx) TH_LOG("member on host %d", h);
	ASSERT_EQ(1, b[s].gsends - a[s].gsends);
	ASSERT_EQ(0, delta(k, a0, b, D_COLL));
	ASSERT_EQ(k, delta(k, a, b, D_GDELIV));	/* once on every host */
	fr = delta(k, a, b, D_TX);
	nz = noise(k, a, b);
	record(variant->name, k, "group_send", fr, 1, nz);
	if (!nz)
		ASSERT_EQ(k, fr);
}

/*
 * GetPid with remote scope: a logical id registered on the last host,
 * asked for from every other host, each answer that host's process.  A
 * GETPID broadcast and one GETPID_ANSWER: 2 frames, at any K (the hosts
 * without it stay silent).
 */
TEST_F_TIMEOUT(scale, get_pid_remote, 600)
{
	struct hc a[HMAX] = { 0 }, b[HMAX] = { 0 };
	int h, k = self->k, last = k - 1;
	long long slow;
	uint64_t pid, owner = vt_id(self->fd[last]);
	long long fr, nz;

	ASSERT_EQ(0, v_set_pid(self->fd[last], LID, owner, V_SCOPE_REMOTE));
	ASSERT_EQ(0, snap(k, a));
	for (h = 0, slow = 0; h < last; h++) {
		int64_t t0 = vt_now_ms();

		pid = 0;
		ASSERT_EQ(0, v_get_pid(self->fd[h], LID, V_SCOPE_REMOTE, &pid)) TH_LOG("host %d", h);
		ASSERT_EQ(owner, pid) TH_LOG("host %d", h);
		/*
		 * A GetPid unanswered for GETPID_RETRY_MS asks again (registry.c),
		 * and each ask draws an answer: a loaded machine's noise, 2
		 * frames a retry (not counted by any counter).
		 */
		slow += (vt_now_ms() - t0) / GETPID_RETRY_MS;
	}
	ASSERT_EQ(0, snap(k, b));
	fr = delta(k, a, b, D_TX);
	nz = noise(k, a, b) + 2 * slow;
	record(variant->name, k, "getpid_remote", fr, last, nz);
	ASSERT_EQ(0, delta(k, a, b, D_COLL));
	ASSERT_LE(2LL * last, fr);
	ASSERT_GE(2LL * last + nz, fr);
}

#define MAP_LEN		(32 << 10)	/* a `vctl -j map show` of 127 entries: about 17 KB */

/*
 * The entries of every host's mapping table (`vctl -j map show`) into
 * n[0..k): the total, or -1.
 */
static int map_counts(int k, int *n)
{
	char *out = malloc((size_t)k * MAP_LEN);
	int h, total = 0;

	if (!out || vctl_all(k, "-j map show", out, MAP_LEN)) {
		free(out);
		return -1;
	}
	for (h = 0; h < k; h++) {
		const char *p = out + (size_t)h * MAP_LEN;

		for (n[h] = 0; (p = strstr(p, "\"host_part\":")); p++)
			n[h]++;
		total += n[h];
	}
	free(out);
	return total;
}

/*
 * Map aging: host 0 and every other host talk (a star), then map-age-ms
 * goes down to its minimum on every host.  Every entry of every table
 * ages out (map_aged counts each, the tables end empty), and aging puts
 * no frame on the link: an idle cluster is silent at any K.  A Send from
 * host 0 to each host then finds it again: WHERE, HERE, REQUEST and
 * RESPONSE, 4 frames each, and one map query each on host 0.
 */
TEST_F_TIMEOUT(scale, map_aging, 600)
{
	struct hc a[HMAX] = { 0 }, b[HMAX] = { 0 }, c[HMAX] = { 0 };
	int h, j, k = self->k, had[HMAX], now[HMAX], total, left;
	long long fr, nz, end;

	ASSERT_EQ(0, servers_start(k, 0));
	for (j = 1; j < k; j++) {
		ASSERT_EQ(0, srr(self->fd[0], j, 0xa000 + j)) TH_LOG("host 0 to %d", j);
		ASSERT_EQ(0, srr(self->fd[j], 0, 0xb000 + j)) TH_LOG("host %d to 0", j);
	}
	total = map_counts(k, had);
	ASSERT_LE(k - 1, total);
	for (h = 0; h < k; h++)
		ASSERT_LE(h ? 1 : k - 1, had[h]) TH_LOG("host %d", h);
	phase("star, map counted");
	ASSERT_EQ(0, snap(k, a));
	ASSERT_EQ(0, vctl_all(k, "set map-age-ms " MAP_AGE_MIN_S, NULL, 0));
	phase("map-age set");
	/*
	 * Every table empty within a few aging periods: host 0's, which had
	 * the most and was used last, is waited for alone (one vctl a look),
	 * then all are looked at.
	 */
	end = vt_now_ms() + 20000LL * vt_scale();
	while (map_counts(1, now) > 0 && vt_now_ms() < end)
		usleep(200000);
	while ((left = map_counts(k, now)) != 0 && vt_now_ms() < end)
		usleep(300000);
	ASSERT_EQ(0, left) TH_LOG("%d entries left of %d", left, total);
	ASSERT_EQ(0, snap(k, b));
	for (h = 0; h < k; h++)
		ASSERT_EQ(had[h], b[h].aged - a[h].aged) TH_LOG("host %d", h);
	phase("aged");
	fr = delta(k, a, b, D_TX);
	record(variant->name, k, "aging_idle", fr, 1, noise(k, a, b));
	ASSERT_EQ(0, fr) TH_LOG("frames while %d entries aged", total);

	for (j = 1; j < k; j++)
		ASSERT_EQ(0, srr(self->fd[0], j, 0xc000 + j)) TH_LOG("host 0 to %d again", j);
	ASSERT_EQ(0, snap(k, c));
	ASSERT_EQ(0, delta(k, a, c, D_COLL));
	fr = delta(k, b, c, D_TX);
	nz = noise(k, b, c);
	/*
	 * One WHERE per host found again; a HERE slower than V_WHERE_ASK_MS
	 * (a loaded or debug kernel) has it asked again: noise, as a
	 * retransmission is (the debug kernel's pool saw 8 for 7).
	 */
	ASSERT_LE(k - 1, c[0].mapq - b[0].mapq);
	ASSERT_GE(2 * (k - 1), c[0].mapq - b[0].mapq);
	nz += c[0].mapq - b[0].mapq - (k - 1);
	record(variant->name, k, "srr_after_aging", fr, k - 1, nz);
	if (!nz)
		ASSERT_EQ(4LL * (k - 1), fr);
	ASSERT_EQ(0, vctl_all(k, "set map-age-ms " MAP_AGE_DEFAULT_S, NULL, 0));
}

/* ------------------------------------------------------------------------ */
/* Fixture growth: the table, and no operation growing faster than linearly */

/*
 * How an operation's count may grow from HBASE to K hosts: CONST per
 * operation (unicast, or one broadcast answered by one host), LINEAR
 * when every host answers (at most K/HBASE times the count), BOUND only
 * an absolute bound per operation (what the first contact costs depends
 * on which CLAIMs a host heard: timing, not size).
 */
enum { CONST, LINEAR, BOUND };

static const struct {
	const char *op;
	int growth;
	double bound;		/* BOUND: frames per operation at most */
} ops[] = {
	{ "claim_per_host", CONST, 0 },
	{ "srr_first", BOUND, 4 },
	{ "srr", CONST, 0 },
	{ "members_query", LINEAR, 0 },
	{ "group_send", LINEAR, 0 },
	{ "getpid_remote", CONST, 0 },
	{ "aging_idle", CONST, 0 },
	{ "srr_after_aging", CONST, 0 },
};

#define SLACK	0.10	/* retransmissions of a loaded machine */

/*
 * The last count of op recorded by variant var: frames per operation
 * (*clean: less the noisy ones, which may be fewer than counted; *k its
 * hosts), or -1.
 */
static double counted(const char *var, const char *op, int *k, double *clean)
{
	char v[16], o[64];
	double per, found = -1;
	long long fr, nz;
	int hosts, n;
	FILE *f = fopen(FILE_COUNTS, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%15s %d %63s %lf %lld %d %lld", v, &hosts, o, &per, &fr, &n, &nz) == 7)
		if (!strcmp(v, var) && !strcmp(o, op)) {
			found = n ? (double)fr / n : per;	/* per is rounded */
			*clean = n ? (double)(fr > nz ? fr - nz : 0) / n : per;
			*k = hosts;
		}
	fclose(f);
	return found;
}

FIXTURE(growth) {
	int unused;
};

FIXTURE_SETUP(growth)
{
}

FIXTURE_TEARDOWN(growth)
{
}

/*
 * The table of both variants' counts, and each operation's growth within
 * its class: per operation no more than at HBASE hosts (CONST), no more
 * than K/HBASE times (LINEAR), both with SLACK; BOUND within its bound.
 * A loaded machine's noise errs towards passing: the HBASE count as
 * counted, the other less its noisy frames.
 */
TEST_F(growth, linear_from_8_hosts)
{
	unsigned int i;
	int compared = 0, bad = 0;

	printf("# scale: %-16s %5s %9s\n", "op", "hosts", "frames");
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		int k8 = 0, kn = 0;
		double c8, cn, lim, f8 = counted("h8", ops[i].op, &k8, &c8),
		       fn = counted("hn", ops[i].op, &kn, &cn);

		if (f8 < 0 || fn < 0)
			continue;
		printf("# scale: %-16s %5d %9.2f\n# scale: %-16s %5d %9.2f\n",
		       ops[i].op, k8, f8, ops[i].op, kn, fn);
		if (cn != fn)
			printf("# scale: %s at %d hosts: %.2f without noisy frames\n", ops[i].op, kn, cn);
		compared++;
		switch (ops[i].growth) {
		case CONST:
			lim = f8 * (1 + SLACK) + 0.05;
			break;
		case LINEAR:
			lim = f8 * ((double)kn / k8) * (1 + SLACK) + 2;
			break;
		default:
			lim = ops[i].bound * (1 + SLACK);
		}
		if (cn > lim) {
			printf("# scale: %s grew from %.2f at %d hosts to %.2f at %d (limit %.2f)\n",
			       ops[i].op, f8, k8, cn, kn, lim);
			bad++;
		}
	}
	fflush(stdout);
	if (!compared)
		SKIP(return, "no operation counted at both sizes (VK_TESTS?)");
	ASSERT_EQ(0, bad);
}

VT_HARNESS_MAIN
