// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "auth": authenticated frames with a cluster key ("Authenticated
 * frames" in include/uapi/linux/v.h; `vctl set key`).
 *
 * Topology, built afresh for every test: three V hosts (network namespaces
 * vka0, vka1, vka2), each with a veth "vkae" whose peer vkahN sits in the
 * bridge vkabr of the initial namespace, attached with `vctl link add`.
 * Host 0 has the server socket (self->srv, O_NONBLOCK).  Frames are
 * captured and injected with AF_PACKET sockets on the hosts' veths
 * (vwire.h); tags of frames the test builds itself are HMAC-SHA256
 * (vhmac.h) with the key the test set.
 *
 * Clients are forked children that enter their host's namespace, Send and
 * report through a pipe; the teardown kills them and deletes the
 * namespaces.
 */
#include <ctype.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <endian.h>
#include "vtest.h"
#include "vwire.h"
#include "vhmac.h"
#define VT_KIDS_MAX	16
#define VT_KID_ALARM_S	60
#include "vkids.h"
#include "kselftest_harness.h"

#define NH		3
#define NS_FMT		"vka%d"
#define VETH		"vkae"
#define VETH_BR_FMT	"vkah%d"
#define BRIDGE		"vkabr"
#define MS_WAIT		10000
#define REQ_CODE	0x0321
#define SEG_RW		(V_SEG_READ | V_SEG_WRITE)
#define HDRS		(ETH_HLEN + (int)sizeof(struct v_wire_hdr))
#define TRAILER		((int)sizeof(struct v_wire_auth))

static const char KEY1[] = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210";
static const char KEY2[] = "ffeeddccbbaa99887766554433221100f0e1d2c3b4a5968778695a4b3c2d1e0f";

static const struct vt_topo topo = { NS_FMT, VETH_BR_FMT, VETH, BRIDGE, NH, .netem = 0 };

static const char *hname(int h)
{
	return vt_topo_ns(&topo, h);
}

/* `vctl ARGS` inside host h, quietly: its exit status. */
#define vctl(h, ...)	vt_topo_vctl(&topo, (h), __VA_ARGS__)

/* A counter of host h, or -1. */
static long long nstat(int h, const char *name)
{
	return vt_stat(hname(h), name);
}

/* Wait (up to ms, scaled) until counter name of host h is above than. */
static long long nstat_wait_above(int h, const char *name, long long than, int ms)
{
	return vt_stat_wait_above(hname(h), name, than, ms, 20);
}

/* ------------------------------------------------------------------------ */
/* Clients: one Send from a V process of host h, reported through a pipe    */

struct cres {
	int ret;
	int pad;
	uint64_t self;
	uint64_t replier;
	int64_t ms;		/* how long the Send took */
	uint64_t hash;		/* of the segment after the Send */
	struct v_msg msg;
};

struct client {
	pid_t pid;
	int rfd;
};

/*
 * Start a client on host h sending mk(REQ_CODE, arg) to dst, granting a
 * read/write segment of seg_len bytes of pattern seed (none if 0).
 */
static int spawn(int h, uint64_t dst, size_t seg_len, uint32_t seed, uint64_t arg,
		 struct client *c)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -1;
	c->pid = kid_fork(0);
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		struct cres r = { 0 };
		uint8_t *seg = seg_len ? malloc(seg_len) : NULL;
		int64_t t0;
		int fd;

		close(p[0]);
		CK(vt_ns_enter(hname(h)) == 0);
		fd = v_open();
		CK(fd >= 0);
		r.self = vt_id(fd);
		if (seg)
			fill(seg, seg_len, seed, 0);
		r.msg = mk(REQ_CODE, arg);
		t0 = vt_now_ms();
		r.ret = seg ? v_send_seg(fd, dst, &r.msg, seg, seg_len, SEG_RW) :
			      v_send(fd, dst, &r.msg);
		r.ms = vt_now_ms() - t0;
		r.hash = seg ? hash_buf(seg, seg_len) : 0;
		CK(write(p[1], &r, sizeof(r)) == sizeof(r));
		_exit(0);
	}
	close(p[1]);
	c->rfd = p[0];
	return 0;
}

/* The client's report (up to the Send's end) and its exit; 0 or -1. */
static int client_end(struct client *c, struct cres *r)
{
	int ok = vt_read_full(c->rfd, r, sizeof(*r), 3 * MS_WAIT) == 0;

	close(c->rfd);
	return ok && kid_wait(c->pid) == 0 ? 0 : -1;
}

/* Wait (up to ms, scaled) for a message on srv; 0, or -errno. */
static int recv_wait(int fd, struct v_receive *r, int ms)
{
	memset(r, 0, sizeof(*r));
	if (!(vt_wait_poll(fd, POLLIN, ms) & POLLIN))
		return -ETIMEDOUT;
	return v_receive_ex(fd, r);
}

static int recv_now(int fd, struct v_receive *r)
{
	memset(r, 0, sizeof(*r));
	return v_receive_ex(fd, r);
}

/* Set the same key on the hosts in mask (bit h: host h); 0 or -1. */
static int key_set(unsigned int mask, const char *key)
{
	int h;

	for (h = 0; h < NH; h++)
		if ((mask & (1U << h)) && vctl(h, "set key %s", key))
			return -1;
	return 0;
}

/* Host h's "keyed" in `vctl -j host show`, or -1. */
static long long keyed(int h)
{
	char buf[4096];

	if (vt_vctl_run(hname(h), "-j host show", buf, sizeof(buf), 0))
		return -1;
	return vt_json_num(buf, "keyed");
}

/* The trailer's counter of a captured frame. */
static uint64_t frame_ctr(const uint8_t *frame)
{
	struct v_wire_hdr h;
	uint64_t be;

	memcpy(&h, frame + ETH_HLEN, sizeof(h));
	memcpy(&be, frame + HDRS + ntohl(h.len), sizeof(be));
	return be64toh(be);
}

/* ------------------------------------------------------------------------ */
/* Frames                                                                   */

static void rnd_fill(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = (uint8_t)random();
}

/*
 * A REQUEST frame in buf from host part src_host (client = process 5
 * there) to dst, Ethernet to mac from k's address; returns its length
 * without trailer.
 */
static size_t req_frame(uint8_t *buf, const struct vt_pk *k, const uint8_t *mac,
			uint32_t src_host, uint32_t seq, uint64_t dst, uint16_t flags)
{
	struct v_wire_request rq;
	struct v_wire_hdr h;
	uint64_t client = v_id_make(src_host, 5);
	struct v_msg m = mk(REQ_CODE, seq);

	memcpy(buf, mac, ETH_ALEN);
	memcpy(buf + ETH_ALEN, k->mac, ETH_ALEN);
	buf[12] = V_ETHERTYPE_DEFAULT >> 8;
	buf[13] = V_ETHERTYPE_DEFAULT & 0xff;
	memset(&h, 0, sizeof(h));
	h.version = V_WIRE_VERSION;
	h.type = V_PKT_REQUEST;
	h.flags = htons(flags);
	h.seq = htonl(seq);
	h.client = htobe64(client);
	h.dst = htobe64(dst);
	h.src = htobe64(client);
	h.src_host = htonl(src_host);
	h.len = htonl(sizeof(rq));
	memcpy(buf + ETH_HLEN, &h, sizeof(h));
	memset(&rq, 0, sizeof(rq));
	rq.msg = m;
	memcpy(buf + HDRS, &rq, sizeof(rq));
	return HDRS + sizeof(rq);
}

/*
 * Append counter ctr and the tag under key (NULL: a random tag), for the
 * host of the REQUEST's dst (the frames signed here are REQUESTs).
 */
static size_t sign(uint8_t *buf, size_t n, uint64_t ctr, const uint8_t *key)
{
	uint64_t be = htobe64(ctr);
	struct v_wire_hdr h;

	memcpy(&h, buf + ETH_HLEN, sizeof(h));
	if (key)
		return vt_frame_sign(buf, n, ctr, key, v_id_host(be64toh(h.dst)));
	memcpy(buf + n, &be, 8);
	rnd_fill(buf + n + 8, V_WIRE_AUTH_TAG_LEN);
	return n + TRAILER;
}

/* ------------------------------------------------------------------------ */
/* The fixture                                                              */

FIXTURE(auth) {
	pid_t owner;
	int ready;
	uint32_t hp[NH];
	int srv;		/* O_NONBLOCK V process on host 0 */
	uint64_t srv_id;
};

FIXTURE_SETUP(auth)
{
	int i, fd;

	self->owner = getpid();
	self->srv = -1;
	nkids = 0;
	srandom((unsigned int)getpid());
	ASSERT_LE(0, vt_root_open());
	vt_topo_destroy(&topo);		/* whatever a killed test left */
	self->ready = 1;
	ASSERT_EQ(0, vt_topo_create(&topo)) TH_LOG("cannot build the namespaces / bridge / links");
	for (i = 0; i < NH; i++) {
		fd = vt_ns_vopen(hname(i), 0);
		ASSERT_LE(0, fd);
		self->hp[i] = v_id_host(vt_id(fd));
		close(fd);
		ASSERT_EQ(0, vctl(i, "set host-down-ms 600"));
	}
	self->srv = vt_ns_vopen(hname(0), 1);
	ASSERT_LE(0, self->srv);
	self->srv_id = vt_id(self->srv);
}

FIXTURE_TEARDOWN(auth)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	vt_topo_teardown(&topo, self->srv, self->ready);
	vt_root_close();
}

/* One plain round trip from host h to the server; asserts it worked. */
static void round_trip(struct __test_metadata *_metadata, FIXTURE_DATA(auth) *self, int h,
		       uint64_t arg)
{
	struct v_msg reply = mk(V_OK, arg ^ 0x5555);
	struct v_receive r;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(h, self->srv_id, 0, 0, arg, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT)) TH_LOG("from host %d", h);
	ASSERT_EQ(arg, v_msg_get64(&r.msg, 8));
	ASSERT_EQ(0, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, client_end(&c, &res));
	ASSERT_EQ(0, res.ret) TH_LOG("host %d: %s", h, strerror(-res.ret));
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));
}

/*
 * Two hosts with one key: a remote Send with a segment, ReceiveWithSegment
 * of as much as an MTU-sized REQUEST carries beside its trailer, MoveFrom
 * and MoveTo over many full-sized frames, Reply; executed exactly once,
 * every frame on the wire flagged and tagged, nothing dropped.
 */
TEST_F_TIMEOUT(auth, keyed_pair_send_move_reply, 120)
{
	const size_t seg_len = 200000, mv = 150000;
	uint8_t frame[2048], *buf = malloc(seg_len), *want = malloc(seg_len);
	struct v_msg reply = mk(V_OK, 77), m;
	struct v_wire_hdr h;
	struct vt_pk cap;
	uint64_t sender;
	struct client c;
	struct cres res;
	int n, got;

	ASSERT_TRUE(buf && want);
	ASSERT_EQ(0, key_set(3, KEY1));
	ASSERT_EQ(1, keyed(0));
	ASSERT_EQ(1, keyed(1));
	ASSERT_EQ(0, vt_pk_open(hname(0), VETH, &cap, vt_root_ns));
	ASSERT_EQ(0, spawn(1, self->srv_id, seg_len, 0x77, 1, &c));
	ASSERT_TRUE(vt_wait_poll(self->srv, POLLIN, MS_WAIT) & POLLIN);
	got = v_receive_with_segment(self->srv, &m, &sender, buf, 4096);
	/* One MTU-sized REQUEST: header, request, piggy-backed bytes, trailer. */
	ASSERT_EQ(1500 - (int)sizeof(struct v_wire_hdr) - (int)sizeof(struct v_wire_request) -
		  TRAILER, got);
	ASSERT_EQ(-1, pat_mismatch(buf, got, 0x77, 0));
	ASSERT_EQ(self->hp[1], v_id_host(sender));
	ASSERT_EQ(0, v_move_from(self->srv, sender, 0, buf, seg_len));
	ASSERT_EQ(-1, pat_mismatch(buf, seg_len, 0x77, 0));
	fill(want, seg_len, 0x77, 0);
	fill(want + 1000, mv, 0x99, 0);
	ASSERT_EQ(0, v_move_to(self->srv, sender, 1000, want + 1000, mv));
	ASSERT_EQ(0, v_reply(self->srv, sender, &reply));
	ASSERT_EQ(0, client_end(&c, &res));
	ASSERT_EQ(0, res.ret) TH_LOG("%s", strerror(-res.ret));
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(hash_buf(want, seg_len), res.hash);
	/* Exactly once: nothing more queued, nothing held. */
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &(struct v_receive){ 0 }));
	ASSERT_EQ(-ENOENT, v_reply(self->srv, sender, &reply));
	ASSERT_EQ(0, nstat(0, "drop_auth"));
	ASSERT_EQ(0, nstat(1, "drop_auth"));
	/* What crossed the wire carried flag and trailer. */
	n = vt_pk_find(&cap, V_PKT_MOVE_DATA, self->hp[1], frame, sizeof(frame), MS_WAIT);
	ASSERT_LT(0, n);
	memcpy(&h, frame + ETH_HLEN, sizeof(h));
	ASSERT_EQ(V_WIRE_F_AUTH, ntohs(h.flags));
	ASSERT_LE(HDRS + (int)ntohl(h.len) + TRAILER, n);
	ASSERT_EQ(1500 + ETH_HLEN, n) TH_LOG("MOVE_DATA blocks fill the MTU, trailer included");
	TH_LOG("drop_replay: host 0 %lld, host 1 %lld", nstat(0, "drop_replay"),
	       nstat(1, "drop_replay"));
	close(cap.fd);
	free(buf);
	free(want);
}

/*
 * Host 2 cannot talk to keyed hosts 0 and 1 (with no key, or another
 * one): its Sends fail with EHOSTUNREACH after its host-down bound, its
 * frames are dropped and counted at host 0, nothing is delivered; and
 * host 0's frames to a server on host 2 are dropped and counted there.
 */
static void shut_out(struct __test_metadata *_metadata, FIXTURE_DATA(auth) *self)
{
	long long a0 = nstat(0, "drop_auth"), a2 = nstat(2, "drop_auth");
	struct v_receive r;
	struct client c;
	struct cres res;
	int srv2;

	ASSERT_LE(0, a0);
	ASSERT_LE(0, a2);
	ASSERT_EQ(0, spawn(2, self->srv_id, 0, 0, 2, &c));
	ASSERT_EQ(0, client_end(&c, &res));
	ASSERT_EQ(-EHOSTUNREACH, res.ret) TH_LOG("%s", strerror(-res.ret));
	ASSERT_LE(500, res.ms);
	ASSERT_GT(4000 * vt_scale(), res.ms);
	ASSERT_LT(a0, nstat(0, "drop_auth"));
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));

	srv2 = vt_ns_vopen(hname(2), 1);
	ASSERT_LE(0, srv2);
	ASSERT_EQ(0, spawn(0, vt_id(srv2), 0, 0, 3, &c));
	ASSERT_EQ(0, client_end(&c, &res));
	ASSERT_EQ(-EHOSTUNREACH, res.ret) TH_LOG("%s", strerror(-res.ret));
	ASSERT_LT(a2, nstat(2, "drop_auth"));
	ASSERT_EQ(-EAGAIN, recv_now(srv2, &r));
	close(srv2);
	/* The keyed pair still works. */
	round_trip(_metadata, self, 1, 4);
}

TEST_F_TIMEOUT(auth, host_without_key_shut_out, 90)
{
	ASSERT_EQ(0, key_set(3, KEY1));
	ASSERT_EQ(0, keyed(2));
	shut_out(_metadata, self);
}

TEST_F_TIMEOUT(auth, host_with_other_key_shut_out, 90)
{
	ASSERT_EQ(0, key_set(3, KEY1));
	ASSERT_EQ(0, key_set(4, KEY2));
	ASSERT_EQ(1, keyed(2));
	shut_out(_metadata, self);
}

/*
 * Frames injected from host 2's link (AF_PACKET) with a valid header but a
 * random tag (as host 2, and spoofing keyed host 1), or with no tag at all,
 * are dropped and counted at keyed host 0, are not counted as accepted
 * and deliver nothing.
 */
TEST_F_TIMEOUT(auth, forged_frames_dropped, 90)
{
	uint8_t frame[2048];
	long long a0, rx0, al;
	struct v_receive r;
	struct vt_pk k0, k2;
	char out[4096];
	size_t n;
	int i, sent = 0;

	ASSERT_EQ(0, key_set(3, KEY1));
	ASSERT_EQ(0, vt_pk_open(hname(0), VETH, &k0, vt_root_ns));
	ASSERT_EQ(0, vt_pk_open(hname(2), VETH, &k2, vt_root_ns));
	a0 = nstat(0, "drop_auth");
	rx0 = nstat(0, "rx_frames");
	for (i = 0; i < 30; i++) {
		uint32_t from = i % 3 == 1 ? self->hp[1] : self->hp[2];

		n = req_frame(frame, &k2, k0.mac, from, 100 + i, self->srv_id,
			      i % 3 == 2 ? 0 : V_WIRE_F_AUTH);
		if (i % 3 != 2)
			n = sign(frame, n, vt_auth_ctr(0, (uint32_t)i), NULL);
		ASSERT_EQ(0, vt_pk_send(&k2, frame, n));
		sent++;
	}
	ASSERT_LE(a0 + sent, nstat_wait_above(0, "drop_auth", a0 + sent - 1, MS_WAIT));
	usleep(200000);
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));
	ASSERT_EQ(rx0, nstat(0, "rx_frames"));
	ASSERT_EQ(0, vt_vctl_run(hname(0), "-j host show", out, sizeof(out), 0));
	al = vt_json_num(out, "aliens");
	ASSERT_EQ(0, al) TH_LOG("%s", out);
	round_trip(_metadata, self, 1, 5);
	close(k0.fd);
	close(k2.fd);
}

/*
 * The tag is exactly what the contract says: a frame the test signs with
 * the key itself is accepted (from a host part never heard from, with a
 * counter near the real time); the same frame again, a counter below the
 * window, and first counters 60 s in the past or future are replays; a
 * counter inside the window not seen yet is accepted; a byte changed after
 * signing fails the tag.
 */
TEST_F_TIMEOUT(auth, tag_format_window_and_freshness, 90)
{
	uint8_t key[V_HOST_KEY_LEN], frame[2048], again[2048];
	uint64_t now = vt_auth_ctr(0, 1000), sec = 1ULL << 32;
	long long rp, au;
	struct v_receive r;
	struct vt_pk k0, k2;
	size_t n, n2;

	vt_key_bytes(KEY1, key);
	ASSERT_EQ(0, key_set(1, KEY1));
	ASSERT_EQ(0, vt_pk_open(hname(0), VETH, &k0, vt_root_ns));
	ASSERT_EQ(0, vt_pk_open(hname(2), VETH, &k2, vt_root_ns));
	rp = nstat(0, "drop_replay");
	au = nstat(0, "drop_auth");

	/* First counters from unknown host parts: 60 s off either way. */
	n = sign(frame, req_frame(frame, &k2, k0.mac, 0x1234, 1, self->srv_id, V_WIRE_F_AUTH),
		 now - 60 * sec, key);
	ASSERT_EQ(0, vt_pk_send(&k2, frame, n));
	n = sign(frame, req_frame(frame, &k2, k0.mac, 0x1235, 1, self->srv_id, V_WIRE_F_AUTH),
		 now + 60 * sec, key);
	ASSERT_EQ(0, vt_pk_send(&k2, frame, n));
	ASSERT_EQ(rp + 2, nstat_wait_above(0, "drop_replay", rp + 1, MS_WAIT));
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));

	/* A fresh one, correctly signed: delivered. */
	n = sign(frame, req_frame(frame, &k2, k0.mac, 0x1236, 1, self->srv_id, V_WIRE_F_AUTH),
		 now, key);
	memcpy(again, frame, n);
	ASSERT_EQ(0, vt_pk_send(&k2, frame, n));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	ASSERT_EQ(v_id_make(0x1236, 5), r.sender);
	ASSERT_EQ(0x1236, r.creds.host);
	ASSERT_EQ(1, v_msg_get64(&r.msg, 8));

	/* The same frame again, and one below the window: replays. */
	ASSERT_EQ(0, vt_pk_send(&k2, again, n));
	n2 = sign(frame, req_frame(frame, &k2, k0.mac, 0x1236, 2, self->srv_id, V_WIRE_F_AUTH),
		  now - 100, key);
	ASSERT_EQ(0, vt_pk_send(&k2, frame, n2));
	ASSERT_EQ(rp + 4, nstat_wait_above(0, "drop_replay", rp + 3, MS_WAIT));
	usleep(100000);
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));

	/* Inside the window, not seen yet: delivered. */
	n2 = sign(frame, req_frame(frame, &k2, k0.mac, 0x1236, 3, self->srv_id, V_WIRE_F_AUTH),
		  now - 5, key);
	ASSERT_EQ(0, vt_pk_send(&k2, frame, n2));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	ASSERT_EQ(3, v_msg_get64(&r.msg, 8));

	/* One byte of the message changed after signing: a bad tag. */
	n2 = sign(frame, req_frame(frame, &k2, k0.mac, 0x1236, 4, self->srv_id, V_WIRE_F_AUTH),
		  now + 10, key);
	frame[HDRS + 9] ^= 1;
	ASSERT_EQ(0, vt_pk_send(&k2, frame, n2));
	ASSERT_EQ(au + 1, nstat_wait_above(0, "drop_auth", au, MS_WAIT));
	usleep(100000);
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));
	ASSERT_EQ(rp + 4, nstat(0, "drop_replay"));
	close(k0.fd);
	close(k2.fd);
}

/*
 * Counters count frames: the REQUESTs host 1 sends for round trips tens
 * of milliseconds apart carry counters a few frames apart (not the
 * nanoseconds between them) in an epoch within the freshness bound of
 * the real time, so the 64-counter window covers 64 frames of
 * reordering.  Frames the test signs in one epoch and injects in reverse
 * order, all inside the window, are each delivered.
 */
TEST_F_TIMEOUT(auth, counters_dense_reordering_tolerated, 90)
{
	uint8_t frame[2048], key[V_HOST_KEY_LEN];
	uint8_t frames[8][2048];
	size_t lens[8];
	uint64_t c[3], base, got = 0;
	long long rp;
	struct vt_pk k0, k2;
	struct v_receive r;
	int n, i;

	ASSERT_EQ(0, key_set(3, KEY1));
	ASSERT_EQ(0, vt_pk_open(hname(0), VETH, &k0, vt_root_ns));
	for (i = 0; i < 3; i++) {
		vt_pk_drain(&k0);
		round_trip(_metadata, self, 1, 0xc0 + i);
		n = vt_pk_find(&k0, V_PKT_REQUEST, self->hp[1], frame, sizeof(frame), MS_WAIT);
		ASSERT_LT(0, n);
		c[i] = frame_ctr(frame);
		usleep(20000);
	}
	TH_LOG("host 1's REQUEST counters: %#llx %#llx %#llx", (unsigned long long)c[0],
	       (unsigned long long)c[1], (unsigned long long)c[2]);
	for (i = 0; i < 3; i++) {
		int64_t secs = (int64_t)(c[i] >> 32) - (int64_t)(vt_auth_ctr(0, 0) >> 32);

		ASSERT_GE(V_WIRE_AUTH_FRESH_MS / 1000, secs < 0 ? -secs : secs);
	}
	for (i = 1; i < 3; i++) {
		ASSERT_LT(c[i - 1], c[i]);
		/* A few frames between (ACKs, replies elsewhere), never 20 ms of ns. */
		if (c[i] >> 32 == c[i - 1] >> 32)
			ASSERT_GT(64, c[i] - c[i - 1]);
	}
	close(k0.fd);

	/* Injected out of order inside the window: every one delivered. */
	vt_key_bytes(KEY1, key);
	ASSERT_EQ(0, vt_pk_open(hname(2), VETH, &k2, vt_root_ns));
	ASSERT_EQ(0, vt_pk_open(hname(0), VETH, &k0, vt_root_ns));
	rp = nstat(0, "drop_replay");
	base = vt_auth_ctr(0, 5000);
	for (i = 0; i < 8; i++) {
		/* Distinct clients: each request is its own transaction. */
		uint64_t client = htobe64(v_id_make(0x1240, 10 + i));
		struct v_wire_hdr h;
		size_t len = req_frame(frames[i], &k2, k0.mac, 0x1240, 1 + i, self->srv_id,
				       V_WIRE_F_AUTH);

		memcpy(&h, frames[i] + ETH_HLEN, sizeof(h));
		memcpy(&h.client, &client, 8);
		memcpy(&h.src, &client, 8);
		memcpy(frames[i] + ETH_HLEN, &h, sizeof(h));
		lens[i] = sign(frames[i], len, base + 8 * i, key);
	}
	for (i = 7; i >= 0; i--)
		ASSERT_EQ(0, vt_pk_send(&k2, frames[i], lens[i]));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT)) TH_LOG("%d delivered", i);
		got |= 1ULL << (v_msg_get64(&r.msg, 8) - 1);
	}
	ASSERT_EQ(0xffULL, got);
	ASSERT_EQ(rp, nstat(0, "drop_replay"));
	close(k0.fd);
	close(k2.fd);
}

/*
 * A REQUEST from host 1 captured where it arrives (host 0's link; a
 * packet socket bound to one EtherType sees incoming frames only) and sent
 * again verbatim from host 1's link is dropped at host 0 as a replay: the
 * server receives it once, and the alien's reply cache never even sees it
 * (no duplicate counted).
 */
TEST_F_TIMEOUT(auth, captured_request_replayed_dropped, 90)
{
	uint8_t frame[2048];
	long long rp, dup;
	struct vt_pk k0, k1;
	struct v_wire_hdr h;
	struct v_receive r;
	int n, i;

	ASSERT_EQ(0, key_set(3, KEY1));
	ASSERT_EQ(0, vt_pk_open(hname(0), VETH, &k0, vt_root_ns));
	ASSERT_EQ(0, vt_pk_open(hname(1), VETH, &k1, vt_root_ns));
	vt_pk_drain(&k0);
	round_trip(_metadata, self, 1, 6);
	n = vt_pk_find(&k0, V_PKT_REQUEST, self->hp[1], frame, sizeof(frame), MS_WAIT);
	ASSERT_LT(0, n);
	memcpy(&h, frame + ETH_HLEN, sizeof(h));
	ASSERT_EQ(V_WIRE_F_AUTH, ntohs(h.flags));
	ASSERT_EQ(self->srv_id, be64toh(h.dst));
	rp = nstat(0, "drop_replay");
	dup = nstat(0, "duplicates");
	ASSERT_EQ(0, vt_pk_send(&k1, frame, n));
	ASSERT_EQ(rp + 1, nstat_wait_above(0, "drop_replay", rp, MS_WAIT));
	usleep(200000);
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));
	ASSERT_EQ(dup, nstat(0, "duplicates"));
	/* Ten more times: each one dropped. */
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, vt_pk_send(&k1, frame, n));
	ASSERT_EQ(rp + 11, nstat_wait_above(0, "drop_replay", rp + 10, MS_WAIT));
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));
	ASSERT_EQ(dup, nstat(0, "duplicates"));
	close(k0.fd);
	close(k1.fd);
}

/*
 * host show reports keyed 1 / 0 (text and JSON) and never the key; only an
 * admin may set it.
 */
TEST_F_TIMEOUT(auth, host_show_keyed_never_the_key, 90)
{
	static const char *const shows[] = { "host show", "-j host show", "-j stats",
					     "map show", "link show" };
	char out[8192], upper[sizeof(KEY1)];
	unsigned int i, s;
	int h;

	for (i = 0; i < sizeof(KEY1); i++)
		upper[i] = (char)toupper((unsigned char)KEY1[i]);
	ASSERT_EQ(0, key_set(1, KEY1));
	ASSERT_EQ(1, keyed(0));
	ASSERT_EQ(0, keyed(1));
	ASSERT_EQ(0, vt_vctl_run(hname(0), "host show", out, sizeof(out), 0));
	ASSERT_NE(NULL, strstr(out, "\nkeyed 1\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, vt_vctl_run(hname(1), "host show", out, sizeof(out), 0));
	ASSERT_NE(NULL, strstr(out, "\nkeyed 0\n")) TH_LOG("%s", out);
	for (h = 0; h < 2; h++)
		for (s = 0; s < sizeof(shows) / sizeof(shows[0]); s++) {
			ASSERT_EQ(0, vt_vctl_run(hname(h), shows[s], out, sizeof(out), 0));
			ASSERT_EQ(NULL, strstr(out, KEY1)) TH_LOG("%s", shows[s]);
			ASSERT_EQ(NULL, strstr(out, upper)) TH_LOG("%s", shows[s]);
			ASSERT_EQ(NULL, strstr(out, "00112233")) TH_LOG("%s", shows[s]);
		}
	/* Not without CAP_NET_ADMIN: refused (1), the key stays. */
	ASSERT_EQ(1, vt_sh("ip netns exec %s setpriv --reuid=65534 --regid=65534 --clear-groups "
			   "--inh-caps=-all --bounding-set=-all %s set key none 2>/dev/null",
			   hname(0), vt_vctl_bin()));
	ASSERT_EQ(1, keyed(0));
	/* The key from standard input. */
	ASSERT_EQ(0, vt_sh("echo %s | ip netns exec %s %s set key -", KEY1, hname(1),
			   vt_vctl_bin()));
	ASSERT_EQ(1, keyed(1));
	round_trip(_metadata, self, 1, 7);
}

/*
 * Three keyed hosts talk; after `set key none` everywhere, plain frames
 * again: the hosts talk, frames carry no flag, nothing is dropped.
 */
TEST_F_TIMEOUT(auth, key_removed_plain_again, 90)
{
	uint8_t frame[2048];
	long long a0;
	struct v_wire_hdr h;
	struct vt_pk k0;
	int n, i;

	ASSERT_EQ(0, key_set(7, KEY1));
	round_trip(_metadata, self, 1, 8);
	round_trip(_metadata, self, 2, 9);
	ASSERT_EQ(0, key_set(7, "none"));
	for (i = 0; i < NH; i++)
		ASSERT_EQ(0, keyed(i));
	a0 = nstat(0, "drop_auth");
	ASSERT_EQ(0, vt_pk_open(hname(0), VETH, &k0, vt_root_ns));
	vt_pk_drain(&k0);
	round_trip(_metadata, self, 1, 10);
	round_trip(_metadata, self, 2, 11);
	n = vt_pk_find(&k0, V_PKT_REQUEST, self->hp[2], frame, sizeof(frame), MS_WAIT);
	ASSERT_LT(0, n);
	memcpy(&h, frame + ETH_HLEN, sizeof(h));
	ASSERT_EQ(0, ntohs(h.flags));
	ASSERT_EQ(a0, nstat(0, "drop_auth"));
	/* Removing a key that is not there is fine too. */
	ASSERT_EQ(0, vctl(0, "set key none"));
	close(k0.fd);
}

/* Bad `vctl set key` arguments are bad usage (2) and change nothing. */
TEST_F_TIMEOUT(auth, bad_key_arguments, 90)
{
	static const char *const bad[] = {
		"set key",
		"set key 00",
		"set key 00112233445566778899aabbccddeeff0123456789abcdeffedcba987654321",
		"set key 00112233445566778899aabbccddeeff0123456789abcdeffedcba98765432100",
		"set key 00112233445566778899aabbccddeeff0123456789abcdeffedcba987654321g",
		"set key 0x112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210",
		"set key NONE",
		"set key none key none",
		"set key -1",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(2, vctl(0, "%s", bad[i])) TH_LOG("bad argument %u", i);
	ASSERT_EQ(2, vt_sh("echo 1234 | ip netns exec %s %s set key - 2>/dev/null", hname(0),
			   vt_vctl_bin()));
	ASSERT_EQ(0, keyed(0));
	round_trip(_metadata, self, 1, 12);
}

TEST_HARNESS_MAIN
