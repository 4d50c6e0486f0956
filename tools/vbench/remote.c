// SPDX-License-Identifier: GPL-2.0
/*
 * vbench's remote rows: the baselines (UDP, TCP, TIPC, raw frames), the
 * two V hosts of --remote-setup, and the round-trip rows over a link.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <linux/tipc.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "vbench.h"

int remote_ok;		/* the two hosts exist */
char remote_why[160] = "no second V host (run as root with --remote-setup)";

/* ------------------------------------------------------------------------ */
/* Remote baselines: UDP, TCP, TIPC, raw Ethernet frames                     */

int rd_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int wr_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;
	ssize_t n;

	while (put < len) {
		n = write(fd, (const char *)buf + put, len - put);
		if (n <= 0)
			return -1;
		put += (size_t)n;
	}
	return 0;
}

int sock_opt1(int fd, int level, int name)
{
	int one = 1;

	return setsockopt(fd, level, name, &one, sizeof(one));
}

void net_srv(struct job *j, int idx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_BASE + idx) };
	struct sockaddr_tipc t;
	struct sockaddr_storage from;
	socklen_t flen;
	uint8_t *data;
	char buf[MSG];
	ssize_t n;
	int fd, c;

	if (j->mode == N_TIPC) {
		memset(&t, 0, sizeof(t));
		t.family = AF_TIPC;
		t.addrtype = TIPC_ADDR_NAMESEQ;
		t.scope = TIPC_CLUSTER_SCOPE;
		t.addr.nameseq.type = TIPC_TYPE;
		t.addr.nameseq.lower = t.addr.nameseq.upper = (uint32_t)idx + 1;
		fd = socket(AF_TIPC, SOCK_SEQPACKET, 0);
		if (fd < 0)
			die(j, "socket(AF_TIPC)", errno);
		if (bind(fd, (struct sockaddr *)&t, sizeof(t)) || listen(fd, 4))
			die(j, "TIPC bind/listen", errno);
	} else {
		fd = socket(AF_INET, j->mode == N_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
		if (fd < 0)
			die(j, "socket", errno);
		sock_opt1(fd, SOL_SOCKET, SO_REUSEADDR);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			die(j, "bind", errno);
		if (j->mode == N_TCP && listen(fd, 4))
			die(j, "listen", errno);
	}
	ready(j, 1);
	if (j->mode == N_UDP) {
		for (;;) {
			flen = sizeof(from);
			n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			if (n <= 0 || sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) != n)
				_exit(0);
		}
	}
	data = j->size ? alloc_touched(j->size, 3) : NULL;
	/* One client after the other: vbench --serve outlives its clients. */
	while ((c = accept(fd, NULL, NULL)) >= 0) {
		if (j->mode == N_TCP)
			sock_opt1(c, IPPROTO_TCP, TCP_NODELAY);
		if (j->size)	/* TCP stream: a byte asks for size bytes */
			while (data && read(c, buf, 1) == 1 && !wr_full(c, data, j->size))
				;
		else
			while (!(j->mode == N_TCP ? rd_full(c, buf, MSG) :
				 read(c, buf, MSG) == MSG ? 0 : -1) && !wr_full(c, buf, MSG))
				;
		close(c);
	}
	_exit(0);
}

static int net_connect(struct job *j, int idx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_BASE + idx) };
	struct sockaddr_tipc t;
	uint64_t end = now_ns() + 20000000000ULL;
	int fd;

	inet_pton(AF_INET, j->peer ? opt.peer_ip : j->size ? IP_A : IP_B, &a.sin_addr);
	if (j->mode != N_TIPC) {
		fd = socket(AF_INET, j->mode == N_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			fail("connect: %s", strerror(errno));
			_exit(1);
		}
		if (j->mode == N_TCP)
			sock_opt1(fd, IPPROTO_TCP, TCP_NODELAY);
		return fd;
	}
	/* The service name needs time to reach this node over the new link. */
	memset(&t, 0, sizeof(t));
	t.family = AF_TIPC;
	t.addrtype = TIPC_ADDR_NAME;
	t.addr.name.name.type = TIPC_TYPE;
	t.addr.name.name.instance = (uint32_t)idx + 1;
	for (;;) {
		fd = socket(AF_TIPC, SOCK_SEQPACKET, 0);
		if (fd < 0) {
			fail("socket(AF_TIPC): %s", strerror(errno));
			_exit(1);
		}
		if (connect(fd, (struct sockaddr *)&t, sizeof(t)) == 0)
			return fd;
		close(fd);
		if (now_ns() > end) {
			fail("TIPC connect: %s (no link between the nodes?)", strerror(errno));
			_exit(1);
		}
		usleep(100000);
	}
}

void net_cli(struct job *j, int idx)
{
	char buf[MSG], back[MSG];
	uint64_t i, t0, t_start;
	uint8_t *data = NULL;
	int fd = net_connect(j, idx);

	if (j->size && !(data = malloc(j->size))) {
		fail("malloc: %s", strerror(ENOMEM));
		_exit(1);
	}
	if (data)
		memset(data, 0, j->size);
	memset(buf, 0x33, sizeof(buf));
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		memcpy(buf, &i, sizeof(i));
		t0 = now_ns();
		if (j->size) {
			if (write(fd, buf, 1) != 1 || rd_full(fd, data, j->size)) {
				fail("TCP stream: %s", strerror(errno));
				_exit(1);
			}
		} else if (write(fd, buf, MSG) != MSG ||
			   (j->mode == N_TCP ? rd_full(fd, back, MSG) :
			    (read(fd, back, MSG) == MSG ? 0 : -1))) {
			fail("round trip: %s", strerror(errno));
			_exit(1);
		}
		t0 = now_ns() - t0;
		if (!j->size && memcmp(buf, back, MSG)) {
			fail("iteration %" PRIu64 ": the answer differs", i);
			_exit(1);
		}
		record(j, i, t0);
	}
}

/* TCP stream: the server role pushes (in A), the client role times (in B). */
int net_job(int mode, size_t size, uint64_t div)
{
	struct job j = { .srv = net_srv, .cli = net_cli, .pairs = 1, .mode = mode, .size = size,
			 .srv_ns = size ? NS_A : NS_B, .cli_ns = size ? NS_B : NS_A };

	iters(&j, div);
	return run_job(&j, 0);
}

/* AF_PACKET sockets on this namespace's end of the veth. */
static int raw_open(const char *ifname, uint8_t mac[6])
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_VBENCH)), big = 4 << 20;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_VBENCH);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	return fd;
}

uint64_t mac64(const uint8_t mac[6])
{
	uint64_t v = 0;

	memcpy(&v, mac, 6);
	return v;
}

/* A frame: dst, src, type, then seq (4), index (2), count (2), data. */
struct rawf {
	struct ether_header eh;
	uint32_t seq;
	uint16_t index, count;
	uint8_t data[RAW_PAYLOAD - 8];
} __attribute__((packed));

static void raw_hdr(struct rawf *f, uint64_t dst, const uint8_t src[6])
{
	memcpy(f->eh.ether_dhost, &dst, 6);
	memcpy(f->eh.ether_shost, src, 6);
	f->eh.ether_type = htons(ETH_P_VBENCH);
}

/*
 * Server role: echo each frame back (RR), or (bulk) collect the frames of
 * train seq and answer with one frame once all of them are in.
 */
void raw_srv(struct job *j, int idx)
{
	static struct rawf f;
	uint8_t mac[6], from[6];
	uint32_t seq = ~0u;
	uint64_t have = 0, need = 0;
	ssize_t n;
	int fd = raw_open(j->peer ? peer.dev : j->size ? IF_A : IF_B, mac);

	if (fd < 0)
		die(j, "AF_PACKET socket", -fd);
	G->token[idx] = mac64(mac);
	ready(j, 1);
	for (;;) {
		n = recv(fd, &f, sizeof(f), 0);
		if (n < (ssize_t)offsetof(struct rawf, data))
			continue;
		if (!j->size) {
			memcpy(from, f.eh.ether_shost, 6);
			raw_hdr(&f, mac64(from), mac);
			if (send(fd, &f, (size_t)n, 0) != n)
				_exit(0);
			continue;
		}
		if (f.seq != seq) {
			seq = f.seq;
			have = 0;
			need = f.count >= 64 ? ~0ULL : (1ULL << f.count) - 1;
		}
		have |= 1ULL << (f.index & 63);
		if (have == need) {
			memcpy(from, f.eh.ether_shost, 6);
			raw_hdr(&f, mac64(from), mac);
			f.index = 0xffff;
			if (send(fd, &f, 60, 0) != 60)
				_exit(0);
			have = 0;
		}
	}
}

void raw_cli(struct job *j, int idx)
{
	static struct rawf f, back;
	struct timeval tv = { .tv_sec = 1 };
	uint64_t dst = j->peer ? peer.mac : G->token[idx], i, t0, t_start;
	uint16_t count = (uint16_t)((j->size + sizeof(f.data) - 1) / sizeof(f.data)), k;
	uint8_t mac[6];
	size_t len;
	ssize_t n;
	int fd = raw_open(j->peer ? peer.dev : j->size ? IF_B : IF_A, mac), lost;

	if (fd < 0) {
		fail("AF_PACKET socket: %s", strerror(-fd));
		_exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&f, 0x77, sizeof(f));
	raw_hdr(&f, dst, mac);
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		f.seq = (uint32_t)i;
		lost = 0;
		t0 = now_ns();
		if (!j->size) {
			f.index = 0;
			f.count = 1;
			if (send(fd, &f, 14 + MSG, 0) != 14 + MSG) {
				fail("send: %s", strerror(errno));
				_exit(1);
			}
		} else {
			for (k = 0; k < count; k++) {
				len = j->size - (size_t)k * sizeof(f.data);
				if (len > sizeof(f.data))
					len = sizeof(f.data);
				f.index = k;
				f.count = count;
				if (send(fd, &f, offsetof(struct rawf, data) + len, 0) < 0) {
					fail("send: %s", strerror(errno));
					_exit(1);
				}
			}
		}
		for (;;) {
			n = recv(fd, &back, sizeof(back), 0);
			if (n < 0 && errno == EAGAIN) {
				lost = 1;
				break;
			}
			if (n < 0) {
				fail("recv: %s", strerror(errno));
				_exit(1);
			}
			if (n >= (ssize_t)offsetof(struct rawf, data) && back.seq == f.seq)
				break;
		}
		t0 = now_ns() - t0;
		if (lost) {
			G->lost++;	/* a frame was lost: not a sample */
			if (G->lost > 50) {
				fail("more than 50 iterations lost frames");
				_exit(1);
			}
			continue;
		}
		record(j, i, t0);
	}
}

/* Bulk: the server role receives (in A), the client role pushes and times (in B). */
int raw_job(size_t size, uint64_t div)
{
	struct job j = { .srv = raw_srv, .cli = raw_cli, .pairs = 1, .size = size,
			 .srv_ns = size ? NS_A : NS_B, .cli_ns = size ? NS_B : NS_A };

	iters(&j, div);
	return run_job(&j, 0);
}

/* ------------------------------------------------------------------------ */
/* The two V hosts, TIPC on their link                                       */

/* Run a shell command line; its exit status, or -1. */
int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

void remote_teardown(void)
{
	sh("ip netns del " NS_A " >/dev/null 2>&1; ip netns del " NS_B " >/dev/null 2>&1");
}

void remote_setup(void)
{
	if (geteuid() != 0) {
		snprintf(remote_why, sizeof(remote_why), "--remote-setup needs root");
		return;
	}
	remote_teardown();
	sh("modprobe -q veth 2>/dev/null");
	if (sh("ip netns add " NS_A " && ip netns add " NS_B " && "
	       "ip link add " IF_A " netns " NS_A " type veth peer name " IF_B " netns " NS_B " && "
	       "ip -n " NS_A " link set lo up && ip -n " NS_B " link set lo up && "
	       "ip -n " NS_A " addr add " IP_A "/24 dev " IF_A " && "
	       "ip -n " NS_B " addr add " IP_B "/24 dev " IF_B " && "
	       "ip -n " NS_A " link set " IF_A " up && ip -n " NS_B " link set " IF_B " up")) {
		snprintf(remote_why, sizeof(remote_why),
			 "could not make namespaces " NS_A "/" NS_B " and their veth");
		return;
	}
	if (sh("ip netns exec " NS_A " %s link add dev " IF_A " insecure && "
	       "ip netns exec " NS_B " %s link add dev " IF_B " insecure", opt.vctl, opt.vctl)) {
		snprintf(remote_why, sizeof(remote_why), "vctl link add failed (%.100s)", opt.vctl);
		return;
	}
	/* IPv6 DAD and neighbour discovery are not what is measured. */
	sh("ip netns exec " NS_A " ping -c 1 -W 2 " IP_B " >/dev/null 2>&1");
	remote_ok = 1;
}

/*
 * The remote rows run on insecure links; their _keyed twins with a
 * cluster key set on both hosts (every frame tagged and checked), to show
 * what authentication costs.  0, or -1 (the key could not be set).
 */
int remote_key(int on)
{
	static const char key[] =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *k = on ? key : "none";

	return sh("ip netns exec " NS_A " %s set key %s && ip netns exec " NS_B " %s set key %s",
		  opt.vctl, k, opt.vctl, k) ? -1 : 0;
}

/*
 * V's UDP bearer between the two namespaces (on: UDP links on the veth's
 * addresses, the raw links detached; off: back to raw links).  The key
 * must be set first (remote_key()): a UDP link has no insecure mode.
 * 0, or -1.
 */
int remote_udp(int on)
{
	if (on)
		return sh("ip netns exec " NS_A " %s link del dev " IF_A " && "
			  "ip netns exec " NS_B " %s link del dev " IF_B " && "
			  "ip netns exec " NS_A " %s link add udp local " IP_A " peer " IP_B " && "
			  "ip netns exec " NS_B " %s link add udp local " IP_B " peer " IP_A,
			  opt.vctl, opt.vctl, opt.vctl, opt.vctl) ? -1 : 0;
	/* Every UDP link goes (its id is not known here), then the raw ones come back. */
	sh("for ns in " NS_A " " NS_B "; do for id in $(ip netns exec $ns %s link show | "
	   "awk '$2 == \"udp\" { sub(\":\", \"\", $1); print $1 }'); do "
	   "ip netns exec $ns %s link del $id; done; done", opt.vctl, opt.vctl);
	return sh("ip netns exec " NS_A " %s link add dev " IF_A " insecure 2>/dev/null; "
		  "ip netns exec " NS_B " %s link add dev " IF_B " insecure 2>/dev/null; "
		  "ip netns exec " NS_A " %s link show | grep -q " IF_A, opt.vctl, opt.vctl,
		  opt.vctl) ? -1 : 0;
}

/* A TIPC bearer on dev in network namespace ns (NULL: this one): NULL, or why not. */
const char *tipc_enable(const char *ns, const char *dev)
{
	char in[64] = "";

	if (access("/sys/module/tipc", F_OK) && sh("modprobe -q tipc 2>/dev/null"))
		return "tipc module cannot be loaded";
	if (sh("command -v tipc >/dev/null 2>&1"))
		return "no tipc tool (iproute2) to enable bearers";
	if (ns)
		snprintf(in, sizeof(in), "ip netns exec %s ", ns);
	/* A second enable fails: one made before (another vbench) is as good. */
	if (sh("%stipc bearer list 2>/dev/null | grep -qx 'eth:%s' || "
	       "%stipc bearer enable media eth dev %s >/dev/null 2>&1", in, dev, in, dev))
		return "tipc bearer enable failed";
	return NULL;
}

/* Bearers on the veth, once. */
const char *tipc_prepare(void)
{
	static const char *why;
	static int done;

	if (!done) {
		why = tipc_enable(NS_A, IF_A);
		if (!why)
			why = tipc_enable(NS_B, IF_B);
	}
	done = 1;
	return why;
}

/* ------------------------------------------------------------------------ */
/* Remote round-trip rows, with the frames they put on the link              */

/*
 * Frames that crossed the link, both ways (dev's received and sent
 * packets, read in namespace ns), or -1.  What a remote round trip costs on the
 * wire: and whether it used the link at all, as TIPC between two
 * namespaces of one kernel does not (it hands messages across directly).
 */
int64_t link_frames(const char *ns, const char *dev)
{
	unsigned long long rx, tx;
	int64_t frames = -1;
	char line[512];
	int fds[2];
	pid_t pid;
	FILE *f;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		close(fds[0]);
		f = enter_ns(ns) ? NULL : fopen("/proc/self/net/dev", "r");
		while (f && fgets(line, sizeof(line), f)) {
			char *p = strchr(line, ':');

			*(p ? p : line) = '\0';
			if (p && !strcmp(line + strspn(line, " "), dev) &&
			    sscanf(p + 1, "%*u %llu %*u %*u %*u %*u %*u %*u %*u %llu", &rx, &tx) == 2)
				frames = (int64_t)(rx + tx);
		}
		if (write(fds[1], &frames, sizeof(frames)) != sizeof(frames))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &frames, sizeof(frames)) != sizeof(frames))
		frames = -1;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return frames;
}

/*
 * A remote round-trip row (32 bytes): V or a baseline, across the veth of
 * --remote-setup or (on_peer) to the --peer host's server, with the frames
 * each round trip put on the link.
 */
void rr_row(const char *key, int kind, int on_peer)
{
	static const int net_mode[] = { [RR_UDP] = N_UDP, [RR_TCP] = N_TCP, [RR_TIPC] = N_TIPC };
	struct job j = { .srv = net_srv, .cli = net_cli, .pairs = 1, .moves = 1,
			 .peer = on_peer, .mode = net_mode[kind] };
	const char *ns = on_peer ? NULL : NS_A, *dev = on_peer ? peer.dev : IF_A;
	struct row *r = row_get(key);
	int64_t f0, f1;
	int ret;

	if (kind == RR_V) {
		j.srv = v_srv;
		j.cli = v_cli;
		j.mode = V_ECHO;
	} else if (kind == RR_RAW) {
		j.srv = raw_srv;
		j.cli = raw_cli;
	}
	if (on_peer) {
		j.srv = NULL;
	} else {
		j.srv_ns = NS_B;
		j.cli_ns = NS_A;
	}
	iters(&j, 1);
	f0 = link_frames(ns, dev);
	ret = run_job(&j, 0);
	f1 = link_frames(ns, dev);
	if (!ret && f0 >= 0 && f1 >= f0) {
		r->frames += (uint64_t)(f1 - f0);
		r->iters += G->iters;
	}
	lat_row(key, ret, 1e3);
}
