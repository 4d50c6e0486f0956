/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the suites that build V hosts on a bridge and look at
 * the wire or at memory (net, groups, fuzz, flood, fault): a bridge
 * topology of n hosts, host counters, interface addresses, AF_PACKET
 * sockets and V frames built field by field, slab usage and the module's
 * reference count.  Namespace changes go through vt_ns_enter() /
 * vt_ns_leave(), so a suite sets vt_root_ns first.
 */
#ifndef VWIRE_H
#define VWIRE_H

#include <endian.h>
#include <limits.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include "vtest.h"
#include "vhmac.h"

/* ------------------------------------------------------------------------ */
/* A bridge topology                                                        */

/*
 * n hosts: namespace ns_fmt(i), each with a veth `veth` whose peer
 * port_fmt(i) sits in bridge `bridge` of the initial namespace, up, and
 * attached to V (`vctl link add ... insecure`: no key yet; vt_topo_key()
 * authenticates every frame from then on).  Formats take the host number (%d).
 * vt_topo_create() loads veth and bridge where they are not loaded, and
 * sch_netem too with netem set (for suites that put netem on the hosts).
 */
struct vt_topo {
	const char *ns_fmt, *port_fmt, *veth, *bridge;
	int n;
	int netem;
};

static inline const char *vt_topo_ns(const struct vt_topo *t, int h)
{
	static char names[8][32];

	snprintf(names[h & 7], sizeof(names[0]), t->ns_fmt, h);
	return names[h & 7];
}

static inline const char *vt_topo_port(const struct vt_topo *t, int h)
{
	static char names[8][32];

	snprintf(names[h & 7], sizeof(names[0]), t->port_fmt, h);
	return names[h & 7];
}

/* Anything of the topology left (by a killed test)? */
static inline int vt_topo_exists(const struct vt_topo *t)
{
	char path[96];
	int i;

	snprintf(path, sizeof(path), "/sys/class/net/%.31s", t->bridge);
	if (access(path, F_OK) == 0)
		return 1;
	for (i = 0; i < t->n; i++) {
		snprintf(path, sizeof(path), "/run/netns/%.31s", vt_topo_ns(t, i));
		if (access(path, F_OK) == 0)
			return 1;
		snprintf(path, sizeof(path), "/sys/class/net/%.31s", vt_topo_port(t, i));
		if (access(path, F_OK) == 0)
			return 1;
	}
	return 0;
}

static inline void vt_topo_destroy(const struct vt_topo *t)
{
	char script[1024];
	size_t n = 0;
	int i;

	/* Deleting the bridge side of a veth deletes both ends at once. */
	for (i = 0; i < t->n; i++) {
		n += snprintf(script + n, sizeof(script) - n, "link del %.31s\n",
			      vt_topo_port(t, i));
		n += snprintf(script + n, sizeof(script) - n, "netns del %.31s\n",
			      vt_topo_ns(t, i));
	}
	snprintf(script + n, sizeof(script) - n, "link del %s\n", t->bridge);
	vt_ip_batch(script, 1);
}

/*
 * A topology fixture's teardown, its children already killed: its server
 * socket srv closed (if open), then the topology deleted if setup began to
 * build it (built), so the runner's rmmod works.
 */
static inline void vt_topo_teardown(const struct vt_topo *t, int srv, int built)
{
	if (srv >= 0)
		close(srv);
	if (built)
		vt_topo_destroy(t);
}

/* `vctl ARGS` (a printf format) inside host h (h < 0: the caller's namespace), quietly. */
static inline int __attribute__((format(printf, 3, 4)))
vt_topo_vctl(const struct vt_topo *t, int h, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vt_ns_vctlv(h < 0 ? NULL : vt_topo_ns(t, h), fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * Build t; with key (64 hex digits) every host gets that cluster key
 * before it attaches its link, which is then a secure one; without, the
 * links are attached insecure.
 */
static inline int vt_topo_create_keyed(const struct vt_topo *t, const char *key)
{
	static const char *const mods[] = { "veth", "bridge", "sch_netem" };
	char script[2048], path[64];
	size_t n = 0;
	unsigned int m;
	int i, ret;

	for (m = 0; m < sizeof(mods) / sizeof(mods[0]); m++) {
		if (!t->netem && !strcmp(mods[m], "sch_netem"))
			continue;
		snprintf(path, sizeof(path), "/sys/module/%s", mods[m]);
		if (access(path, F_OK))
			vt_sh("modprobe -q %s", mods[m]);
	}
	/* Namespaces first, in a batch of their own (netns add unshares). */
	for (i = 0; i < t->n; i++)
		n += snprintf(script + n, sizeof(script) - n, "netns add %.31s\n", vt_topo_ns(t, i));
	if (vt_ip_batch(script, 0))
		return -1;
	n = snprintf(script, sizeof(script), "link add %s type bridge\nlink set %s up\n",
		     t->bridge, t->bridge);
	for (i = 0; i < t->n; i++) {
		n += snprintf(script + n, sizeof(script) - n, "link add %.31s type veth peer name %s ",
			      vt_topo_port(t, i), t->veth);
		n += snprintf(script + n, sizeof(script) - n, "netns %.31s\n", vt_topo_ns(t, i));
		n += snprintf(script + n, sizeof(script) - n, "link set %.31s master %s up\n",
			      vt_topo_port(t, i), t->bridge);
	}
	if (vt_ip_batch(script, 0))
		return -1;
	for (i = 0; i < t->n; i++) {
		if (vt_ns_enter(vt_topo_ns(t, i)))
			return -1;
		ret = vt_if_up("lo") || vt_if_up(t->veth);
		vt_ns_leave();
		if (ret)
			return -1;
		if (key && vt_topo_vctl(t, i, "set key %s", key))
			return -1;
		if (vt_topo_vctl(t, i, "link add dev %s%s", t->veth, key ? "" : " insecure"))
			return -1;
	}
	return 0;
}

static inline int vt_topo_create(const struct vt_topo *t)
{
	return vt_topo_create_keyed(t, NULL);
}

/*
 * A suite's topology kept across its tests (building it is slow under
 * emulation): t built (as vt_topo_create_keyed()) unless all its
 * namespaces and bridge ports are there already (a test may delete a
 * host's veth to take it off the network); whatever is left of a broken
 * one goes first.  0 or -1.
 */
static inline int vt_topo_keep(const struct vt_topo *t, const char *key)
{
	char path[96];
	int i;

	for (i = 0; i < t->n; i++) {
		snprintf(path, sizeof(path), "/run/netns/%.31s", vt_topo_ns(t, i));
		if (access(path, F_OK))
			break;
		snprintf(path, sizeof(path), "/sys/class/net/%.31s", vt_topo_port(t, i));
		if (access(path, F_OK))
			break;
	}
	if (i == t->n)
		return 0;
	if (vt_topo_exists(t))
		vt_topo_destroy(t);
	return vt_topo_create_keyed(t, key);
}

/*
 * Give every host of t the cluster key hex (64 hex digits): from then on
 * all their frames are authenticated.  0 or -1.
 */
static inline int vt_topo_key(const struct vt_topo *t, const char *hex)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (vt_topo_vctl(t, i, "set key %s", hex))
			return -1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Counters and interfaces                                                  */

/* A counter of the host in namespace ns (`vctl -j stats`), or -1. */
static inline long long vt_stat(const char *ns, const char *name)
{
	char buf[4096];

	if (vt_vctl_run(ns, "-j stats", buf, sizeof(buf), 0) != 0)
		return -1;
	return vt_json_num(buf, name);
}

/* A number of `vctl -j host show` of the host in namespace ns, or -1. */
static inline long long vt_host_show(const char *ns, const char *name)
{
	char buf[4096];

	if (vt_vctl_run(ns, "-j host show", buf, sizeof(buf), 0) != 0)
		return -1;
	/* The host's own fields follow the counters; no counter has their names. */
	return vt_json_num(buf, name);
}

/*
 * Wait (up to ms, scaled) until get(ns, name) -- vt_stat or vt_host_show --
 * is within [lo, hi], reading it every step_ms; the last value read.
 */
static inline long long vt_host_num_wait(long long (*get)(const char *ns, const char *name),
					 const char *ns, const char *name, long long lo,
					 long long hi, int ms, int step_ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	long long v;

	for (;;) {
		v = get(ns, name);
		if ((v >= lo && v <= hi) || vt_now_ms() > end)
			return v;
		usleep(step_ms * 1000);
	}
}

/* Wait (up to ms, scaled) until counter name of host ns is above than; its last value. */
static inline long long vt_stat_wait_above(const char *ns, const char *name, long long than,
					   int ms, int step_ms)
{
	return vt_host_num_wait(vt_stat, ns, name, than + 1, LLONG_MAX, ms, step_ms);
}

/* MAC address and ifindex of ifname in namespace ns (NULL: this one). */
static inline int vt_if_info(const char *ns, const char *ifname, uint8_t *mac, int *ifindex)
{
	struct ifreq ifr;
	int fd, ret = -1;

	if (ns && vt_ns_enter(ns))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ns)
		vt_ns_leave();
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
		if (ioctl(fd, SIOCGIFINDEX, &ifr) == 0) {
			*ifindex = ifr.ifr_ifindex;
			ret = 0;
		}
	}
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Frames                                                                   */

#define VT_HDRS		(ETH_HLEN + (int)sizeof(struct v_wire_hdr))

/* An AF_PACKET socket for V frames on one interface. */
struct vt_pk {
	int fd;
	int ifindex;
	uint8_t mac[ETH_ALEN];		/* the interface's own address */
	uint8_t peer[ETH_ALEN];		/* where frames go (set by the user) */
};

/*
 * Open k on ifname in namespace ns (NULL: this thread's), non-blocking,
 * bound to EtherType proto; back to namespace root (if >= 0) afterwards.
 * Bound to the V EtherType it sees the frames the interface's own stack
 * receives; a bridge port's frames are taken by the bridge before that,
 * and only ETH_P_ALL sees them (what the host behind the port sent).
 */
static inline int vt_pk_open_proto(const char *ns, const char *ifname, struct vt_pk *k,
				   int root, uint16_t proto)
{
	struct sockaddr_ll sll;
	int ret = -1;

	k->fd = -1;
	if (ns && vt_ns_enter(ns))
		return -1;
	k->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(proto));
	if (k->fd < 0 || vt_if_info(NULL, ifname, k->mac, &k->ifindex))
		goto out;
	/*
	 * Room for whole trains (128 frames of 1.5-9 KB) while a test on a
	 * loaded host reads them: the default buffer dropped a third of them
	 * in a pool of guests.  Best effort (root only).
	 */
	setsockopt(k->fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ 8 << 20 }, sizeof(int));
	/*
	 * Frames injected through a veth stay charged to this socket until
	 * their receiver frees them (veth does not orphan them): room for a
	 * few hundred queued by a host.
	 */
	setsockopt(k->fd, SOL_SOCKET, SO_SNDBUFFORCE, &(int){ 8 << 20 }, sizeof(int));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = k->ifindex;
	ret = bind(k->fd, (struct sockaddr *)&sll, sizeof(sll));
out:
	if (ns && root >= 0 && setns(root, CLONE_NEWNET))
		perror("setns back");
	return ret;
}

static inline int vt_pk_open(const char *ns, const char *ifname, struct vt_pk *k, int root)
{
	return vt_pk_open_proto(ns, ifname, k, root, V_ETHERTYPE_DEFAULT);
}

/*
 * The wire version injected frames carry: this tree's, or VK_WIRE_VERSION
 * (to run a test against a module of an older version, as for the
 * security tests' runs against 5c3a75e, version 3).
 */
static inline uint8_t vt_wire_version(void)
{
	const char *v = getenv("VK_WIRE_VERSION");

	return v && *v ? (uint8_t)atoi(v) : V_WIRE_VERSION;
}

/*
 * Ethernet header (to, from) and V header into f; header len = len.
 * Returns VT_HDRS, the offset of the payload.
 */
static inline size_t vt_frame_hdr(uint8_t *f, const uint8_t *to, const uint8_t *from,
				  uint8_t type, uint32_t seq, uint64_t client, uint64_t dst,
				  uint64_t src, uint32_t src_host, uint32_t len)
{
	struct v_wire_hdr h;

	memcpy(f, to, ETH_ALEN);
	memcpy(f + ETH_ALEN, from, ETH_ALEN);
	f[12] = V_ETHERTYPE_DEFAULT >> 8;
	f[13] = V_ETHERTYPE_DEFAULT & 0xff;
	memset(&h, 0, sizeof(h));
	h.version = vt_wire_version();
	h.type = type;
	h.seq = htonl(seq);
	h.client = htobe64(client);
	h.dst = htobe64(dst);
	h.src = htobe64(src);
	h.src_host = htonl(src_host);
	h.len = htonl(len);
	memcpy(f + ETH_HLEN, &h, sizeof(h));
	return VT_HDRS;
}

/* Send a built frame of n bytes through k (bound to its interface). */
static inline int vt_pk_send(const struct vt_pk *k, const uint8_t *buf, size_t n)
{
	return send(k->fd, buf, n, 0) == (ssize_t)n ? 0 : -1;
}

/* Throw away what a capture socket holds. */
static inline void vt_pk_drain(const struct vt_pk *k)
{
	uint8_t buf[2048];

	while (recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * The first captured frame of type type from host part src_host, within
 * ms (scaled): its length (copied into buf, at most len bytes), or -1.
 */
static inline int vt_pk_find(const struct vt_pk *k, uint8_t type, uint32_t src_host,
			     uint8_t *buf, size_t len, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	struct v_wire_hdr h;
	ssize_t n;

	while (vt_now_ms() < end) {
		n = recv(k->fd, buf, len, MSG_DONTWAIT);
		if (n < 0) {
			usleep(2000);
			continue;
		}
		if (n < VT_HDRS || buf[12] != V_ETHERTYPE_DEFAULT >> 8 ||
		    buf[13] != (V_ETHERTYPE_DEFAULT & 0xff))
			continue;
		memcpy(&h, buf + ETH_HLEN, sizeof(h));
		if (h.type == type && ntohl(h.src_host) == src_host)
			return (int)n;
	}
	return -1;
}

/* A cluster key given as 64 hex digits, as bytes. */
static inline void vt_key_bytes(const char *hex, uint8_t *out)
{
	int i;

	for (i = 0; i < 2 * V_HOST_KEY_LEN; i++) {
		char c = hex[i];
		int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

		out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
	}
}

/*
 * A counter as the contract defines it: epoch (CLOCK_REALTIME seconds,
 * offset by secs_off) in the upper 32 bits, frame count n in the lower.
 */
static inline uint64_t vt_auth_ctr(int64_t secs_off, uint32_t n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)(uint32_t)(ts.tv_sec + secs_off) << 32 | n;
}

/*
 * Authenticate the frame of n bytes in buf (Ethernet header first, its V
 * header's flags already V_WIRE_F_AUTH) for host part to: counter ctr and
 * the tag under key appended; the length with the trailer.
 */
static inline size_t vt_frame_sign(uint8_t *buf, size_t n, uint64_t ctr, const uint8_t *key,
				   uint32_t to)
{
	uint64_t be = htobe64(ctr);
	uint8_t full[32];

	memcpy(buf + n, &be, 8);
	vt_v_tag(key, to, buf + ETH_HLEN, n - ETH_HLEN + 8, full);
	memcpy(buf + n + 8, full, V_WIRE_AUTH_TAG_LEN);
	return n + sizeof(struct v_wire_auth);
}

/* ------------------------------------------------------------------------ */
/* Memory and the module                                                    */

/* Bytes of active slab objects (sum of active_objs * objsize of /proc/slabinfo). */
static inline long long vt_slab_active_bytes(void)
{
	char line[512], name[128];
	long long total = 0, active, num, size;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &num, &size) == 4)
			total += active * size;
	}
	fclose(f);
	return total;
}

/* vkmod's reference count (/proc/modules); -2 when it is not loaded, -1 on error. */
static inline long long vt_vkmod_refcount(void)
{
	char line[512], name[64];
	long long size, ref;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld %lld", name, &size, &ref) == 3 &&
		    !strcmp(name, "vkmod")) {
			fclose(f);
			return ref;
		}
	fclose(f);
	return -2;
}

#endif /* VWIRE_H */
