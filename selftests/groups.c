// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "groups": process groups (create, join, leave, members, group Send,
 * qualified group Send, GetReply, segment access of members), host parts
 * (claims, collisions, fences) and the mapping table (learning, MAC and
 * interface changes, aging), as include/uapi/linux/v.h ("Groups", "Host
 * parts") and include/libv.h describe them.
 *
 * Topology (fixture "groups", built afresh for every test): three network
 * namespaces vkg0..vkg2 (three V hosts), each with a veth "vkne" whose peer
 * vkghN sits in the bridge vkgbr of the initial namespace; every vkne is
 * attached with `vctl link add`.  Fixture "hosts" builds nothing: its tests
 * make up to eight hosts themselves (same names), with chosen host parts
 * and ports left out of the bridge where a test needs that.
 *
 * V processes: the test process opens sockets in a host by entering its
 * namespace for the socket() call (vt_ns_vopen); "agents" are children,
 * one V process each on a given host, driven over a command pipe (join,
 * leave, receive, reply, MoveFrom/MoveTo, Send, GetReply, close, ...),
 * answering on a result pipe; in serve mode an agent also receives and
 * replies to every message by itself and reports each on an event pipe.
 * Agents never ASSERT: they report return codes; every agent has an
 * alarm(), and the teardown kills and reaps them, then deletes every
 * namespace, veth and the bridge (so the runner's rmmod works).
 *
 * Replies of serving agents: code V_OK, bytes 8..15 the agent's id, 16..23
 * the request's bytes 8..15 (the "tag" of the request), 24..31 ~id.
 *
 * vctl JSON names assumed (not fixed yet; each is one #define below):
 *   host show:  group_window_ms, map_age_ms, max_members, groups, members
 *   map show:   [{"host_part":N,"ifindex":N,"addr":"xx:..","state":"learned"|
 *               "fenced","age_ms":N}, ...]
 *   group show: [{"group":"0x<16 hex>","members":["0x<16 hex>", ...]}, ...]
 *   commands:   vctl set group-window-ms N | map-age-ms N | max-members N,
 *               vctl map del host N, vctl [-j] group show
 *   stats:      collisions, map_aged, map_queries, group_sends,
 *               group_delivered, group_replies, group_dropped (vctl.c)
 */
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <net/if.h>
#include <linux/capability.h>
#include "vtest.h"
#include "vwire.h"
#define VT_KIDS_MAX	64
#define VT_KID_ALARM_S	120
#include "vkids.h"
#include "kselftest_harness.h"

/* --- vctl JSON names: change here when vctl names them otherwise -------- */
#define K_HOST_PART	"host_part"
#define K_GROUP_WINDOW	"group_window_ms"
#define K_MAP_AGE	"map_age_ms"
#define K_MAX_MEMBERS	"max_members"
#define K_HOST_GROUPS	"groups"
#define K_HOST_MEMBERS	"members"
#define K_MAP_HOST	"host_part"
#define K_MAP_IFINDEX	"ifindex"
#define K_MAP_ADDR	"addr"
#define K_MAP_STATE	"state"
#define K_MAP_AGE_MS	"age_ms"
#define K_GROUP_ID	"group"
#define K_GROUP_MEMBERS	"members"
#define S_LEARNED	"learned"
#define S_FENCED	"fenced"
/* vctl commands and settings */
#define C_GROUP_WINDOW	"group-window-ms"
#define C_MAP_AGE	"map-age-ms"
#define C_MAX_MEMBERS	"max-members"
#define C_MAP_DEL	"map del host"
#define C_GROUP_SHOW	"group show"

#define MS_WAIT		10000	/* ordinary bounded waits (scaled) */
#define QUERY_MS	500	/* v_group_members remote wait (scaled) */
#define REQ_CODE	0x0321
#define NH		3	/* hosts of fixture groups */
#define NHMAX		8	/* hosts any test makes */
#define NS_FMT		"vkg%d"
#define PORT_FMT	"vkgh%d"
#define VETH_NS		"vkne"
#define BRIDGE		"vkgbr"
#define NOBODY		65534
#define AG_DEAD		(-100000)	/* an agent did not answer */

/* ------------------------------------------------------------------------ */
/* Hosts                                                                    */

/* Up to NHMAX hosts; topo_build() makes them (vt_topo_* find and delete them). */
static const struct vt_topo topo = { NS_FMT, PORT_FMT, VETH_NS, BRIDGE, NHMAX, .netem = 0 };

static const char *hn(int h)
{
	return vt_topo_ns(&topo, h);
}

static int gopen(int h)
{
	return vt_ns_vopen(hn(h), 0);
}

#define vctl(h, ...)	vt_topo_vctl(&topo, (h), __VA_ARGS__)

static int vctl_out(int h, const char *args, char *out, size_t len)
{
	return vt_vctl_run(hn(h), args, out, len, 0);
}

/* A counter of host h (`vctl -j stats`), or -1. */
static long long nstat(int h, const char *name)
{
	return vt_stat(hn(h), name);
}

/* A number of `vctl -j host show` of host h, or -1. */
static long long hstat(int h, const char *name)
{
	return vt_host_show(hn(h), name);
}

static long long nstat_wait_above(int h, const char *name, long long than, int ms)
{
	return vt_stat_wait_above(hn(h), name, than, ms, 50);
}

/*
 * Hosts 0..n-1: namespace, veth (peer in the bridge and up, unless bit i
 * of detached is set: then the peer stays down outside the bridge), lo and
 * vkne up; host part parts[i] set when parts and parts[i] are given; then
 * `vctl link add` on every host whose bit is set in attach, all at once.
 */
static int topo_build(int n, const uint32_t *parts, unsigned int detached, unsigned int attach)
{
	static const char *const mods[] = { "veth", "bridge" };
	char script[4096], path[64];
	pid_t pids[NHMAX] = { 0 };
	size_t k = 0;
	unsigned int m;
	int i, ret, st;

	for (m = 0; m < sizeof(mods) / sizeof(mods[0]); m++) {
		snprintf(path, sizeof(path), "/sys/module/%s", mods[m]);
		if (access(path, F_OK))
			vt_sh("modprobe -q %s", mods[m]);
	}
	for (i = 0; i < n; i++)
		k += snprintf(script + k, sizeof(script) - k, "netns add " NS_FMT "\n", i);
	if (vt_ip_batch(script, 0))
		return -1;
	k = snprintf(script, sizeof(script),
		     "link add " BRIDGE " type bridge\nlink set " BRIDGE " up\n");
	for (i = 0; i < n; i++) {
		k += snprintf(script + k, sizeof(script) - k,
			      "link add " PORT_FMT " type veth peer name " VETH_NS " netns " NS_FMT "\n",
			      i, i);
		if (!(detached & (1U << i)))
			k += snprintf(script + k, sizeof(script) - k,
				      "link set " PORT_FMT " master " BRIDGE " up\n", i);
	}
	if (vt_ip_batch(script, 0))
		return -1;
	for (i = 0; i < n; i++) {
		if (vt_ns_enter(hn(i)))
			return -1;
		ret = vt_if_up("lo") || vt_if_up(VETH_NS);
		vt_ns_leave();
		if (ret)
			return -1;
		if (parts && parts[i] && vctl(i, "set host-part %u", parts[i]))
			return -1;
	}
	fflush(stdout);
	fflush(stderr);
	/* The links attach at once (concurrent claims), one vctl each. */
	ret = 0;
	for (i = 0; i < n; i++) {
		if (!(attach & (1U << i)))
			continue;
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(vt_vctl_run(hn(i), "link add dev " VETH_NS " insecure", NULL, 0, 0));
		if (pids[i] < 0)
			ret = -1;
	}
	for (i = 0; i < n; i++) {
		if (!(attach & (1U << i)) || pids[i] <= 0)
			continue;
		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			ret = -1;
	}
	return ret;
}

/* Put host h's bridge port into the bridge, up. */
static int topo_connect(int h)
{
	return vt_sh("ip link set " PORT_FMT " master " BRIDGE " up", h);
}

/* MAC address and ifindex of ifname in host h. */
static int if_info(int h, const char *ifname, uint8_t *mac, int *ifindex)
{
	return vt_if_info(hn(h), ifname, mac, ifindex);
}

static void mac_str(const uint8_t *m, char *s)
{
	sprintf(s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ------------------------------------------------------------------------ */
/* JSON of vctl: one helper for objects, one for values                     */

/* The next {...} of a JSON text from p into obj; the position after it, or NULL. */
static const char *json_obj(const char *p, char *obj, size_t len)
{
	const char *s = strchr(p, '{'), *q;
	int depth = 0, instr = 0;

	if (!s)
		return NULL;
	for (q = s; *q; q++) {
		if (instr) {
			if (*q == '\\' && q[1])
				q++;
			else if (*q == '"')
				instr = 0;
			continue;
		}
		if (*q == '"')
			instr = 1;
		else if (*q == '{')
			depth++;
		else if (*q == '}' && --depth == 0)
			break;
	}
	if (!*q || (size_t)(q - s + 2) > len)
		return NULL;
	memcpy(obj, s, q - s + 1);
	obj[q - s + 1] = '\0';
	return q + 1;
}

/*
 * The value of key in the JSON object text obj into val: a string without
 * its quotes, an array with its brackets, anything else as written.  0, or
 * -1 when the key is missing.
 */
static int json_val(const char *obj, const char *key, char *val, size_t len)
{
	char k[96];
	const char *p, *e;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(obj, k);
	if (!p)
		return -1;
	p += strlen(k);
	while (*p == ' ')
		p++;
	if (*p == '"') {
		e = strchr(++p, '"');
	} else if (*p == '[') {
		e = strchr(p, ']');
		if (e)
			e++;
	} else {
		e = p + strcspn(p, ",}");
	}
	if (!e || (size_t)(e - p) >= len)
		return -1;
	memcpy(val, p, e - p);
	val[e - p] = '\0';
	return 0;
}

static long long json_val_num(const char *obj, const char *key)
{
	char v[64];

	if (json_val(obj, key, v, sizeof(v)) || v[0] < '0' || v[0] > '9')
		return -1;
	return strtoll(v, NULL, 0);
}

/* The "0x..." ids of a JSON array text; how many (at most max). */
static int json_ids(const char *arr, uint64_t *ids, int max)
{
	const char *p = arr;
	int n = 0;

	while ((p = strstr(p, "0x")) && n < max) {
		char *e;

		ids[n++] = strtoull(p, &e, 16);
		p = e;
	}
	return n;
}

struct mapent {
	int ifindex;
	long long age_ms;
	char addr[32];
	char state[16];
};

/* Host part hp in host h's `vctl -j map show`: 1 (and *e), 0 absent, -1 error. */
static int map_find(int h, uint32_t hp, struct mapent *e)
{
	static char buf[16384];
	char obj[512];
	const char *p = buf;

	if (vctl_out(h, "-j map show", buf, sizeof(buf)) != 0 || buf[0] != '[')
		return -1;
	while ((p = json_obj(p, obj, sizeof(obj)))) {
		if (json_val_num(obj, K_MAP_HOST) != hp)
			continue;
		memset(e, 0, sizeof(*e));
		e->ifindex = (int)json_val_num(obj, K_MAP_IFINDEX);
		e->age_ms = json_val_num(obj, K_MAP_AGE_MS);
		json_val(obj, K_MAP_ADDR, e->addr, sizeof(e->addr));
		json_val(obj, K_MAP_STATE, e->state, sizeof(e->state));
		return 1;
	}
	return 0;
}

/*
 * Group gid in host h's `vctl -j group show`: its local members into ids
 * (at most max) and their count, -1 when gid is not listed, -2 on error.
 * *ngroups: the number of groups listed.
 */
static int group_find(int h, uint64_t gid, uint64_t *ids, int max, int *ngroups)
{
	static char buf[16384];
	char obj[4096], v[4096];
	const char *p = buf;
	int n = -1;

	*ngroups = 0;
	if (vctl_out(h, "-j " C_GROUP_SHOW, buf, sizeof(buf)) != 0 || buf[0] != '[')
		return -2;
	while ((p = json_obj(p, obj, sizeof(obj)))) {
		(*ngroups)++;
		if (json_val(obj, K_GROUP_ID, v, sizeof(v)) || strtoull(v, NULL, 16) != gid)
			continue;
		if (json_val(obj, K_GROUP_MEMBERS, v, sizeof(v)))
			return -2;
		n = json_ids(v, ids, max);
	}
	return n;
}

/* ------------------------------------------------------------------------ */
/* Id sets                                                                  */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* a[0..na) and b[0..nb) hold the same ids, each once? */
static int same_set(const uint64_t *a, int na, const uint64_t *b, int nb)
{
	uint64_t x[64], y[64];
	int i;

	if (na != nb || na > 64 || na < 0)
		return 0;
	memcpy(x, a, na * sizeof(*a));
	memcpy(y, b, nb * sizeof(*b));
	qsort(x, na, sizeof(*x), cmp_u64);
	qsort(y, nb, sizeof(*y), cmp_u64);
	for (i = 0; i < na; i++)
		if (x[i] != y[i] || (i && x[i] == x[i - 1]))
			return 0;
	return 1;
}

static int in_set(uint64_t id, const uint64_t *a, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i] == id)
			return 1;
	return 0;
}

/* Members of gid as seen from fd (query wait QUERY_MS, scaled). */
static int members(int fd, uint64_t gid, uint64_t *ids, unsigned int max)
{
	return v_group_members(fd, gid, ids, max, (uint64_t)QUERY_MS * 1000000ULL * vt_scale());
}

/* Poll members() until it reports want (up to ms, scaled); the last total. */
static int members_wait(int fd, uint64_t gid, uint64_t *ids, unsigned int max, int want, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	int n;

	for (;;) {
		n = members(fd, gid, ids, max);
		if (n == want || vt_now_ms() > end)
			return n;
		usleep(100000);
	}
}

/* ------------------------------------------------------------------------ */
/* Agents: V processes in children, driven over pipes                       */

enum {
	OP_HELLO, OP_JOIN, OP_LEAVE, OP_CREATE, OP_RECV, OP_REPLY, OP_MFROM, OP_MTO,
	OP_SEND, OP_GETREPLY, OP_SHUTDOWN, OP_CLOSE, OP_SERVE, OP_HASH, OP_DROPCAP,
	OP_SETUID,
};

struct acmd {
	int op;
	uint32_t seed;
	uint64_t a;		/* gid / pid / dst */
	uint64_t b;		/* offset / qualifier / tag */
	uint64_t len;		/* bytes / segment length */
	uint64_t timeout_ms;
	uint32_t access;
	uint32_t pad;
};

struct ares {
	int op;
	int ret;
	uint64_t val;		/* gid / replier / hash */
	uint64_t elapsed_ms;
	struct v_receive r;	/* RECV */
	struct v_msg msg;	/* SEND / GETREPLY: the reply */
};

struct aev {			/* a message served in serve mode */
	uint64_t sender;
	uint64_t group;
	int reply_ret;
	int pad;
	struct v_msg msg;
};

struct agent {
	pid_t pid;
	int cmd, res, ev;
	int h;
	uint64_t id;
};

static struct v_msg request(uint64_t tag)
{
	return mk(REQ_CODE, tag);
}

/* Receive on fd without blocking; 0, -EAGAIN or another error. */
static int recv_nb(int fd, struct v_receive *r)
{
	int fl = fcntl(fd, F_GETFL), ret;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	memset(r, 0, sizeof(*r));
	ret = v_receive_ex(fd, r);
	fcntl(fd, F_SETFL, fl);
	return ret;
}

/* Receive on fd waiting up to ms (scaled); -ETIME when nothing came. */
static int recv_wait(int fd, struct v_receive *r, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	int ret;

	for (;;) {
		ret = recv_nb(fd, r);
		if (ret != -EAGAIN)
			return ret;
		if (vt_now_ms() > end)
			return -ETIME;
		vt_wait_poll(fd, POLLIN, 20);
	}
}

static void agent_exec(int *fd, uint64_t self, const struct acmd *c, struct ares *r,
		       uint8_t **seg, size_t *seglen, int *serve)
{
	uint8_t *buf;
	int64_t t0;

	switch (c->op) {
	case OP_JOIN:
		r->ret = v_group_join(*fd, c->a);
		break;
	case OP_LEAVE:
		r->ret = v_group_leave(*fd, c->a);
		break;
	case OP_CREATE:
		r->ret = v_group_create(*fd, &r->val);
		break;
	case OP_RECV:
		r->ret = recv_wait(*fd, &r->r, (int)c->timeout_ms);
		break;
	case OP_REPLY: {
		struct v_msg m = vt_reply_of(self, c->b);

		r->ret = v_reply(*fd, c->a, &m);
		break;
	}
	case OP_MFROM:
		buf = calloc(1, c->len ? c->len : 1);
		r->ret = buf ? v_move_from(*fd, c->a, c->b, buf, c->len) : -ENOMEM;
		r->val = buf ? hash_buf(buf, c->len) : 0;
		free(buf);
		break;
	case OP_MTO:
		buf = malloc(c->len ? c->len : 1);
		if (buf)
			fill(buf, c->len, c->seed, c->b);
		r->ret = buf ? v_move_to(*fd, c->a, c->b, buf, c->len) : -ENOMEM;
		free(buf);
		break;
	case OP_SEND: {
		struct v_send s;

		if (*seg)
			munmap(*seg, *seglen);
		*seg = NULL;
		*seglen = c->len;
		if (c->len) {
			*seg = mmap(NULL, c->len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (*seg == MAP_FAILED) {
				*seg = NULL;
				r->ret = -ENOMEM;
				break;
			}
			fill(*seg, c->len, c->seed, 0);
		}
		memset(&s, 0, sizeof(s));
		s.dst = c->a;
		s.qualifier = c->b;
		s.seg_addr = (uintptr_t)*seg;
		s.seg_len = c->len;
		s.seg_access = c->access;
		s.timeout_ns = c->timeout_ms * 1000000ULL;
		s.msg = request(c->seed);
		t0 = vt_now_ms();
		r->ret = v_send_ex(*fd, &s);
		r->elapsed_ms = vt_now_ms() - t0;
		r->val = s.replier;
		r->msg = s.msg;
		break;
	}
	case OP_GETREPLY:
		t0 = vt_now_ms();
		r->ret = v_get_reply(*fd, &r->msg, &r->val, c->timeout_ms * 1000000ULL);
		r->elapsed_ms = vt_now_ms() - t0;
		break;
	case OP_SHUTDOWN:
		r->ret = shutdown(*fd, SHUT_RDWR) ? -errno : 0;
		break;
	case OP_CLOSE:
		r->ret = close(*fd) ? -errno : 0;
		*fd = -1;
		*serve = 0;
		break;
	case OP_SERVE:
		*serve = (int)c->a;
		r->ret = 0;
		break;
	case OP_HASH:
		r->val = *seg ? hash_buf(*seg, *seglen) : 0;
		r->ret = 0;
		break;
	case OP_DROPCAP:
		r->ret = vt_drop_net_admin();
		break;
	case OP_SETUID:
		r->ret = setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY) ?
			 -errno : 0;
		break;
	default:
		r->ret = -EINVAL;
	}
}

static void __attribute__((noreturn)) agent_main(int h, int cmdfd, int resfd, int evfd)
{
	struct ares r;
	struct acmd c;
	uint8_t *seg = NULL;
	size_t seglen = 0;
	int fd, serve = 0;
	uint64_t self;

	signal(SIGPIPE, SIG_IGN);
	memset(&r, 0, sizeof(r));
	CKEQ(0, vt_ns_enter(hn(h)));
	fd = v_open();
	CK(fd >= 0);
	CKEQ(0, v_self(fd, &self));
	r.op = OP_HELLO;
	r.val = self;
	CK(write(resfd, &r, sizeof(r)) == sizeof(r));
	for (;;) {
		struct pollfd p[2] = { { .fd = cmdfd, .events = POLLIN },
				       { .fd = fd, .events = POLLIN } };
		int n = poll(p, serve && fd >= 0 ? 2 : 1, -1);

		if (n < 0) {
			CK(errno == EINTR);
			continue;
		}
		if (serve && fd >= 0 && (p[1].revents & POLLIN)) {
			struct v_receive rv;
			struct aev e;

			int rr = recv_nb(fd, &rv);

			if (rr && rr != -EAGAIN)
				serve = 0;	/* shut down: serve no more */
			if (rr == 0) {
				struct v_msg m = vt_reply_of(self, v_msg_get64(&rv.msg, 8));

				memset(&e, 0, sizeof(e));
				e.sender = rv.sender;
				e.group = rv.group;
				e.msg = rv.msg;
				e.reply_ret = v_reply(fd, rv.sender, &m);
				CK(write(evfd, &e, sizeof(e)) == sizeof(e));
			}
		}
		if (p[0].revents) {
			if (read(cmdfd, &c, sizeof(c)) != sizeof(c))
				_exit(0);
			memset(&r, 0, sizeof(r));
			r.op = c.op;
			agent_exec(&fd, self, &c, &r, &seg, &seglen, &serve);
			CK(write(resfd, &r, sizeof(r)) == sizeof(r));
		}
	}
}

/* Start an agent on host h; it joins gid (if given) and serves (if serve). */
static int ag_start(struct agent *a, int h, uint64_t gid, int serve);
static int ag_call(struct agent *a, const struct acmd *c, struct ares *r);

static int ag_op(struct agent *a, int op, uint64_t arg)
{
	struct acmd c = { .op = op, .a = arg };
	struct ares r;

	return ag_call(a, &c, &r);
}

static int ag_start(struct agent *a, int h, uint64_t gid, int serve)
{
	int c[2], r[2], e[2], ret;
	struct ares hello;

	memset(a, 0, sizeof(*a));
	a->h = h;
	if (pipe2(c, O_CLOEXEC) || pipe2(r, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
		return -1;
	a->pid = kid_fork(0);
	if (a->pid == 0) {
		close(c[1]);
		close(r[0]);
		close(e[0]);
		agent_main(h, c[0], r[1], e[1]);
	}
	close(c[0]);
	close(r[1]);
	close(e[1]);
	a->cmd = c[1];
	a->res = r[0];
	a->ev = e[0];
	if (a->pid < 0 || vt_read_full(a->res, &hello, sizeof(hello), MS_WAIT) ||
	    hello.op != OP_HELLO)
		return -1;
	a->id = hello.val;
	if (gid && (ret = ag_op(a, OP_JOIN, gid)))
		return ret;
	if (serve && (ret = ag_op(a, OP_SERVE, 1)))
		return ret;
	return 0;
}

static int ag_post(struct agent *a, const struct acmd *c)
{
	return write(a->cmd, c, sizeof(*c)) == sizeof(*c) ? 0 : -1;
}

/* The result of the command posted last, within ms (scaled): its ret. */
static int ag_result(struct agent *a, struct ares *r, int ms)
{
	memset(r, 0, sizeof(*r));
	if (vt_read_full(a->res, r, sizeof(*r), ms))
		return AG_DEAD;
	return r->ret;
}

static int ag_call(struct agent *a, const struct acmd *c, struct ares *r)
{
	if (ag_post(a, c))
		return AG_DEAD;
	return ag_result(a, r, 3 * MS_WAIT);
}

/* One served message within ms (scaled): 0, or -1. */
static int ag_event(struct agent *a, struct aev *e, int ms)
{
	return vt_read_full(a->ev, e, sizeof(*e), ms);
}

/* No served message within ms (not scaled: a quiet period)? */
static int ag_quiet(struct agent *a, int ms)
{
	struct pollfd p = { .fd = a->ev, .events = POLLIN };

	return poll(&p, 1, ms) == 0;
}

/* Hash of the segment of the agent's last Send (0 if it has none or is dead). */
static uint64_t ag_hash(struct agent *a)
{
	struct acmd c = { .op = OP_HASH };
	struct ares r;

	return ag_call(a, &c, &r) ? 0 : r.val;
}

static int ag_kill(struct agent *a)
{
	kill(a->pid, SIGKILL);
	return kid_wait(a->pid);
}

/* Join every agent of a[0..n) to gid as serving members; 0 or the first error. */
static int ag_start_n(struct agent *a, int n, const int *hosts, uint64_t gid, int serve)
{
	int i, ret;

	for (i = 0; i < n; i++)
		if ((ret = ag_start(&a[i], hosts[i], gid, serve)))
			return ret;
	return 0;
}

static void ag_ids(const struct agent *a, int n, uint64_t *ids)
{
	int i;

	for (i = 0; i < n; i++)
		ids[i] = a[i].id;
}

/* ------------------------------------------------------------------------ */
/* Group Sends from the test process                                        */

/* Send tag to dst (qualifier q) from fd, bounded; replier and reply out. */
static int gsend(int fd, uint64_t dst, uint64_t q, uint64_t tag, uint64_t *replier,
		 struct v_msg *reply, int64_t *ms)
{
	struct v_send s;
	int64_t t0 = vt_now_ms();
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.qualifier = q;
	s.timeout_ns = 30ULL * 1000000000ULL * vt_scale();
	s.msg = request(tag);
	ret = v_send_ex(fd, &s);
	if (ms)
		*ms = vt_now_ms() - t0;
	if (replier)
		*replier = s.replier;
	if (reply)
		*reply = s.msg;
	return ret;
}

/*
 * After a group Send of tag from fd answered by first: GetReply until it
 * times out (each wait ms, scaled).  All repliers, first included, into
 * ids; their count, or a negative errno (any error but ETIMEDOUT, or
 * -EBADMSG for a reply that is not its replier's answer to tag).
 */
static int collect(int fd, uint64_t first, uint64_t tag, uint64_t *ids, int max, int ms)
{
	struct v_msg m;
	uint64_t rep;
	int n = 0, ret;

	ids[n++] = first;
	for (;;) {
		rep = 0;
		ret = v_get_reply(fd, &m, &rep, (uint64_t)ms * 1000000ULL * vt_scale());
		if (ret == -ETIMEDOUT)
			return n;
		if (ret)
			return ret;
		if (!vt_reply_ok(&m, rep, tag))
			return -EBADMSG;
		if (n == max)
			return -E2BIG;
		ids[n++] = rep;
	}
}

/* An ordinary round trip from fd to a serving agent with id dst. */
static int round_trip(int fd, uint64_t dst)
{
	struct v_msg reply;
	uint64_t rep = 0;
	int ret = gsend(fd, dst, 0, 0x77, &rep, &reply, NULL);

	if (ret)
		return ret;
	return rep == dst && vt_reply_ok(&reply, dst, 0x77) ? 0 : -EBADMSG;
}

/* ------------------------------------------------------------------------ */
/* Fixture groups: three V hosts on a bridge                                */

FIXTURE(groups) {
	pid_t owner;
	int ready;
	int64_t t0;
	uint32_t hp[NH];
};

/* VK_GROUPS_TIMING=1: log how long setup, test and teardown took. */
static int timing(void)
{
	return getenv("VK_GROUPS_TIMING") != NULL;
}

FIXTURE_SETUP(groups)
{
	int i, fd;

	self->owner = getpid();
	self->t0 = vt_now_ms();
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	if (vt_topo_exists(&topo))
		vt_topo_destroy(&topo);
	self->ready = 1;
	ASSERT_EQ(0, topo_build(NH, NULL, 0, (1U << NH) - 1))
		TH_LOG("cannot build the namespaces / bridge / links");
	for (i = 0; i < NH; i++) {
		fd = gopen(i);
		ASSERT_LE(0, fd) TH_LOG("v_open in " NS_FMT ": %s", i, strerror(-fd));
		self->hp[i] = v_id_host(vt_id(fd));
		close(fd);
		ASSERT_NE(0, self->hp[i]);
	}
	ASSERT_NE(self->hp[0], self->hp[1]);
	ASSERT_NE(self->hp[0], self->hp[2]);
	ASSERT_NE(self->hp[1], self->hp[2]);
	if (timing())
		TH_LOG("setup %lld ms", (long long)(vt_now_ms() - self->t0));
	self->t0 = vt_now_ms();
}

FIXTURE_TEARDOWN(groups)
{
	int64_t t1 = vt_now_ms();

	if (getpid() != self->owner)
		return;
	kids_kill_all();
	if (self->ready)
		vt_topo_destroy(&topo);
	if (timing())
		TH_LOG("test %lld ms, teardown %lld ms", (long long)(t1 - self->t0),
		       (long long)(vt_now_ms() - t1));
	vt_root_close();
}

/* ======================================================================== */
/* Create, join, leave                                                      */

/*
 * Group ids: group flag, not well-known, the creator's host part, a
 * non-zero local part, never the same twice; the creator is no member.
 */
TEST_F(groups, create_ids_and_creator_not_member)
{
	uint64_t g[NH * 8], ids[4], me;
	int h, i, j, fd[NH];

	for (h = 0; h < NH; h++) {
		fd[h] = gopen(h);
		ASSERT_LE(0, fd[h]);
	}
	for (h = 0; h < NH; h++) {
		me = vt_id(fd[h]);
		for (i = 0; i < 8; i++) {
			uint64_t *x = &g[h * 8 + i];

			ASSERT_EQ(0, v_group_create(fd[h], x));
			ASSERT_TRUE(*x & V_ID_GROUP) TH_LOG("gid 0x%llx", (unsigned long long)*x);
			ASSERT_FALSE(*x & V_ID_WELLKNOWN);
			ASSERT_EQ(self->hp[h], v_id_host(*x));
			ASSERT_NE(0, v_id_local(*x));
			ASSERT_NE(me, *x);
			for (j = 0; j < h * 8 + i; j++)
				ASSERT_NE(g[j], *x);
		}
	}
	/* No members anywhere, asked from every host. */
	for (h = 0; h < NH; h++) {
		ASSERT_EQ(0, members(fd[h], g[h * 8], ids, 4));
		ASSERT_EQ(0, members(fd[(h + 1) % NH], g[h * 8 + 7], ids, 4));
	}
	for (h = 0; h < NH; h++)
		close(fd[h]);
}

/* Malformed ids and non-zero reserved fields: EINVAL. */
TEST_F(groups, join_einval)
{
	uint64_t id, gid, ids[2];
	struct v_group g;
	int fd = gopen(1);

	ASSERT_LE(0, fd);
	id = vt_id(fd);
	ASSERT_EQ(0, v_group_create(fd, &gid));
	ASSERT_EQ(-EINVAL, v_group_join(fd, id));			/* a process id */
	ASSERT_EQ(-EINVAL, v_group_join(fd, V_ID_NONE));
	ASSERT_EQ(-EINVAL, v_group_join(fd, V_ID_WELLKNOWN | 2));	/* W without G */
	ASSERT_EQ(-EINVAL, v_group_join(fd, V_ID_GROUP | V_ID_WELLKNOWN |
					 v_id_make(self->hp[1], 2)));	/* W, host part */
	ASSERT_EQ(-EINVAL, v_group_join(fd, V_ID_GROUP | 5));		/* not W, host 0 */
	ASSERT_EQ(-EINVAL, v_group_join(fd, gid & ~V_ID_GROUP & ~(1ULL << 62)));
	ASSERT_EQ(-EINVAL, v_group_leave(fd, id));
	ASSERT_EQ(-EINVAL, v_group_members(fd, id, ids, 2, 0));
	memset(&g, 0, sizeof(g));
	g.gid = gid;
	g.flags = 1;
	ASSERT_EQ(-1, ioctl(fd, V_IOC_GROUP_JOIN, &g));
	ASSERT_EQ(EINVAL, errno);
	g.flags = 0;
	g.reserved = 1;
	ASSERT_EQ(-1, ioctl(fd, V_IOC_GROUP_JOIN, &g));
	ASSERT_EQ(EINVAL, errno);
	/* None of it made the process a member of anything. */
	ASSERT_EQ(0, members(fd, gid, ids, 2));
	ASSERT_EQ(-ENOENT, v_group_leave(fd, gid));
	/* The valid form works. */
	ASSERT_EQ(0, v_group_join(fd, gid));
	ASSERT_EQ(1, members(fd, gid, ids, 2));
	ASSERT_EQ(id, ids[0]);
	close(fd);
}

/* EEXIST for a second join, ENOENT for a leave of a non-member; rejoin. */
TEST_F(groups, join_eexist_leave_enoent)
{
	uint64_t gid, id1, ids[4];
	int fd0 = gopen(0), fd1 = gopen(1), fd2 = gopen(2);

	ASSERT_LE(0, fd0);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	id1 = vt_id(fd1);
	ASSERT_EQ(0, v_group_create(fd0, &gid));
	ASSERT_EQ(-ENOENT, v_group_leave(fd1, gid));
	ASSERT_EQ(0, v_group_join(fd1, gid));		/* gid of another host */
	ASSERT_EQ(-EEXIST, v_group_join(fd1, gid));
	ASSERT_EQ(1, members(fd0, gid, ids, 4));
	ASSERT_EQ(id1, ids[0]);
	ASSERT_EQ(1, members(fd2, gid, ids, 4));
	ASSERT_EQ(id1, ids[0]);
	ASSERT_EQ(0, v_group_leave(fd1, gid));
	ASSERT_EQ(-ENOENT, v_group_leave(fd1, gid));
	ASSERT_EQ(0, members(fd0, gid, ids, 4));
	ASSERT_EQ(0, v_group_join(fd1, gid));
	ASSERT_EQ(1, members(fd2, gid, ids, 4));
	ASSERT_EQ(id1, ids[0]);
	/* A well-known group, with CAP_NET_ADMIN (the test runs as root). */
	ASSERT_EQ(0, v_group_join(fd1, V_GROUP_TIME_SERVERS));
	ASSERT_EQ(-EEXIST, v_group_join(fd1, V_GROUP_TIME_SERVERS));
	ASSERT_EQ(1, members(fd2, V_GROUP_TIME_SERVERS, ids, 4));
	ASSERT_EQ(id1, ids[0]);
	ASSERT_EQ(0, v_group_leave(fd1, V_GROUP_TIME_SERVERS));
	ASSERT_EQ(-ENOENT, v_group_leave(fd1, V_GROUP_TIME_SERVERS));
	ASSERT_EQ(0, members(fd0, V_GROUP_TIME_SERVERS, ids, 4));
	close(fd0);
	close(fd1);
	close(fd2);
}

/*
 * Well-known groups need CAP_NET_ADMIN: EPERM after dropping it and as
 * user nobody; ordinary groups need nothing.
 */
TEST_F_TIMEOUT(groups, join_wellknown_eperm_without_cap, 60)
{
	struct agent a, b;
	uint64_t gid, ids[4], want[2];
	int fd0 = gopen(0);

	ASSERT_LE(0, fd0);
	ASSERT_EQ(0, v_group_create(fd0, &gid));
	ASSERT_EQ(0, ag_start(&a, 1, 0, 0));
	ASSERT_EQ(0, ag_start(&b, 2, 0, 0));
	ASSERT_EQ(0, ag_op(&a, OP_DROPCAP, 0));
	ASSERT_EQ(-EPERM, ag_op(&a, OP_JOIN, V_GROUP_TIME_SERVERS));
	ASSERT_EQ(-EPERM, ag_op(&a, OP_JOIN, V_GROUP_NAME_HANDLERS));
	ASSERT_EQ(-EPERM, ag_op(&a, OP_JOIN, V_GROUP_SCHEDULERS));
	ASSERT_EQ(0, ag_op(&a, OP_JOIN, gid));
	ASSERT_EQ(0, ag_op(&b, OP_SETUID, 0));
	ASSERT_EQ(-EPERM, ag_op(&b, OP_JOIN, V_GROUP_FILE_SERVERS));
	ASSERT_EQ(-EPERM, ag_op(&b, OP_JOIN, V_GROUP_TIME_SERVERS));
	ASSERT_EQ(0, ag_op(&b, OP_JOIN, gid));
	want[0] = a.id;
	want[1] = b.id;
	ASSERT_EQ(2, members(fd0, gid, ids, 4));
	ASSERT_TRUE(same_set(ids, 2, want, 2));
	ASSERT_EQ(0, members(fd0, V_GROUP_TIME_SERVERS, ids, 4));
	ASSERT_EQ(0, members(fd0, V_GROUP_FILE_SERVERS, ids, 4));
	/* Root, in the same host, may. */
	ASSERT_EQ(0, v_group_join(fd0, V_GROUP_SCHEDULERS));
	ASSERT_EQ(1, members(fd0, V_GROUP_SCHEDULERS, ids, 4));
	ASSERT_EQ(vt_id(fd0), ids[0]);
	close(fd0);
}

/*
 * One process in groups of three hosts; members on several hosts; plain
 * v_send() to a group id; r.group tells the group apart.
 */
TEST_F_TIMEOUT(groups, several_groups_and_hosts, 60)
{
	struct agent m, n;
	struct aev e;
	struct v_msg msg, want;
	uint64_t g[NH], ids[4], both[2], rep;
	int h, fd[NH];

	for (h = 0; h < NH; h++) {
		fd[h] = gopen(h);
		ASSERT_LE(0, fd[h]);
		ASSERT_EQ(0, v_group_create(fd[h], &g[h]));
	}
	ASSERT_EQ(0, ag_start(&m, 1, 0, 1));
	ASSERT_EQ(0, ag_start(&n, 2, g[0], 1));
	for (h = 0; h < NH; h++)
		ASSERT_EQ(0, ag_op(&m, OP_JOIN, g[h]));
	both[0] = m.id;
	both[1] = n.id;
	ASSERT_EQ(2, members(fd[0], g[0], ids, 4));
	ASSERT_TRUE(same_set(ids, 2, both, 2));
	for (h = 1; h < NH; h++) {
		ASSERT_EQ(1, members(fd[0], g[h], ids, 4));
		ASSERT_EQ(m.id, ids[0]);
	}
	/* Plain v_send from host 0 to the group of host 2: m answers. */
	msg = request(0x2002);
	ASSERT_EQ(0, v_send(fd[0], g[2], &msg));
	want = vt_reply_of(m.id, 0x2002);
	ASSERT_TRUE(msg_eq(&want, &msg));
	ASSERT_EQ(0, ag_event(&m, &e, MS_WAIT));
	ASSERT_EQ(g[2], e.group);
	ASSERT_EQ(vt_id(fd[0]), e.sender);
	ASSERT_EQ(0, e.reply_ret);
	/* Group of host 1, from host 2. */
	ASSERT_EQ(0, gsend(fd[2], g[1], 0, 0x2001, &rep, &msg, NULL));
	ASSERT_EQ(m.id, rep);
	ASSERT_EQ(0, ag_event(&m, &e, MS_WAIT));
	ASSERT_EQ(g[1], e.group);
	ASSERT_EQ(vt_id(fd[2]), e.sender);
	/* Group of host 0, from host 1: both answer, each once. */
	ASSERT_EQ(0, gsend(fd[1], g[0], 0, 0x2000, &rep, &msg, NULL));
	ASSERT_TRUE(in_set(rep, both, 2));
	ASSERT_TRUE(vt_reply_ok(&msg, rep, 0x2000));
	ASSERT_EQ(2, collect(fd[1], rep, 0x2000, ids, 4, 1000));
	ASSERT_TRUE(same_set(ids, 2, both, 2));
	ASSERT_EQ(0, ag_event(&m, &e, MS_WAIT));
	ASSERT_EQ(g[0], e.group);
	ASSERT_EQ(0, ag_event(&n, &e, MS_WAIT));
	ASSERT_EQ(g[0], e.group);
	ASSERT_EQ(vt_id(fd[1]), e.sender);
	ASSERT_TRUE(ag_quiet(&m, 300));
	ASSERT_TRUE(ag_quiet(&n, 300));
	for (h = 0; h < NH; h++)
		close(fd[h]);
}

/* close(), shutdown() and the process's exit each end its memberships. */
TEST_F_TIMEOUT(groups, membership_ends_with_close_shutdown_exit, 60)
{
	static const int hosts[4] = { 1, 2, 1, 0 };
	struct agent a[4];
	uint64_t gid, ids[8], want[4], rep;
	struct v_msg msg;
	int fd0 = gopen(0), fd2 = gopen(2);

	ASSERT_LE(0, fd0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, v_group_create(fd0, &gid));
	ASSERT_EQ(0, ag_start_n(a, 4, hosts, gid, 0));
	ag_ids(a, 4, want);
	ASSERT_EQ(4, members(fd2, gid, ids, 8));
	ASSERT_TRUE(same_set(ids, 4, want, 4));
	ASSERT_EQ(0, ag_op(&a[0], OP_CLOSE, 0));
	ASSERT_EQ(3, members(fd2, gid, ids, 8));
	ASSERT_TRUE(same_set(ids, 3, want + 1, 3));
	ASSERT_EQ(0, ag_op(&a[1], OP_SHUTDOWN, 0));
	ASSERT_EQ(2, members(fd0, gid, ids, 8));
	ASSERT_TRUE(same_set(ids, 2, want + 2, 2));
	ASSERT_EQ(1009, ag_kill(&a[2]));
	ASSERT_EQ(1, members(fd2, gid, ids, 8));
	ASSERT_EQ(a[3].id, ids[0]);
	/* The one left answers, alone. */
	ASSERT_EQ(0, ag_op(&a[3], OP_SERVE, 1));
	ASSERT_EQ(0, gsend(fd2, gid, 0, 0x66, &rep, &msg, NULL));
	ASSERT_EQ(a[3].id, rep);
	ASSERT_EQ(1, collect(fd2, rep, 0x66, ids, 8, 500));
	close(fd0);
	close(fd2);
}

/* ======================================================================== */
/* Group Send and GetReply                                                  */

/*
 * Six members, two per host, and the sender a member too: every member
 * but the sender receives the request once (group, sender, message), the
 * first reply ends the Send and GetReply gives the five others once each,
 * then ETIMEDOUT.  Counters: one group Send, two deliveries per host,
 * five replies kept.
 */
TEST_F_TIMEOUT(groups, send_reaches_every_member_once, 90)
{
	static const int hosts[6] = { 0, 0, 1, 1, 2, 2 };
	long long sends0, kept0, deliv0[NH];
	struct agent a[6];
	struct v_receive r;
	struct v_msg msg, req = request(0x6006);
	uint64_t gid, ids[16], want[6], rep, sid;
	int i, h, fd0 = gopen(0);

	ASSERT_LE(0, fd0);
	sid = vt_id(fd0);
	ASSERT_EQ(0, v_group_create(fd0, &gid));
	ASSERT_EQ(0, v_group_join(fd0, gid));
	ASSERT_EQ(0, ag_start_n(a, 6, hosts, gid, 1));
	ag_ids(a, 6, want);
	ASSERT_EQ(7, members(fd0, gid, ids, 16));
	sends0 = nstat(0, "group_sends");
	kept0 = nstat(0, "group_replies");
	for (h = 0; h < NH; h++) {
		deliv0[h] = nstat(h, "group_delivered");
		ASSERT_LE(0, deliv0[h]);
	}
	ASSERT_LE(0, sends0);
	ASSERT_LE(0, kept0);

	ASSERT_EQ(0, gsend(fd0, gid, 0, 0x6006, &rep, &msg, NULL));
	ASSERT_TRUE(in_set(rep, want, 6)) TH_LOG("replier 0x%llx", (unsigned long long)rep);
	ASSERT_TRUE(vt_reply_ok(&msg, rep, 0x6006));
	ASSERT_EQ(6, collect(fd0, rep, 0x6006, ids, 16, 2000));
	ASSERT_TRUE(same_set(ids, 6, want, 6));
	for (i = 0; i < 6; i++) {
		struct aev e;

		ASSERT_EQ(0, ag_event(&a[i], &e, MS_WAIT)) TH_LOG("member %d", i);
		ASSERT_EQ(gid, e.group);
		ASSERT_EQ(sid, e.sender);
		ASSERT_TRUE(msg_eq(&req, &e.msg));
		ASSERT_EQ(0, e.reply_ret);
	}
	for (i = 0; i < 6; i++)
		ASSERT_TRUE(ag_quiet(&a[i], i ? 50 : 500)) TH_LOG("member %d: twice", i);
	/* Not to the sender itself. */
	ASSERT_EQ(-EAGAIN, recv_nb(fd0, &r));
	ASSERT_EQ(sends0 + 1, nstat(0, "group_sends"));
	ASSERT_EQ(kept0 + 5, nstat(0, "group_replies"));
	for (h = 0; h < NH; h++)
		ASSERT_EQ(deliv0[h] + 2, nstat(h, "group_delivered")) TH_LOG("host %d", h);
	close(fd0);
}

/*
 * GetReply: ENOENT before any group Send and after an ordinary one;
 * further replies once each, then ETIMEDOUT (after its timeout; at once
 * with 0); ENOENT after the caller's next Send and after the host's
 * group-reply window.
 */
TEST_F_TIMEOUT(groups, get_reply_open_and_closed, 90)
{
	static const int hosts[2] = { 0, 2 };
	struct agent a[2];
	struct v_msg m;
	uint64_t gid, rep, want[2], ids[4];
	int64_t t0, ms;
	int fd1 = gopen(1);

	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, v_group_create(fd1, &gid));
	ASSERT_EQ(0, ag_start_n(a, 2, hosts, gid, 1));
	ag_ids(a, 2, want);
	ASSERT_EQ(-ENOENT, v_get_reply(fd1, &m, &rep, 0));
	t0 = vt_now_ms();
	ASSERT_EQ(-ENOENT, v_get_reply(fd1, &m, &rep, 2000000000ULL));
	ASSERT_GT(1000, vt_now_ms() - t0);			/* not a wait */
	ASSERT_EQ(0, round_trip(fd1, a[0].id));
	ASSERT_EQ(-ENOENT, v_get_reply(fd1, &m, &rep, 0));

	ASSERT_EQ(0, vctl(1, "set " C_GROUP_WINDOW " 1500"));
	ASSERT_EQ(1500, hstat(1, K_GROUP_WINDOW));
	ASSERT_EQ(0, gsend(fd1, gid, 0, 0x81, &rep, &m, NULL));
	ASSERT_TRUE(in_set(rep, want, 2));
	ids[0] = rep;
	ASSERT_EQ(0, v_get_reply(fd1, &m, &ids[1], 3000000000ULL * vt_scale()));
	ASSERT_TRUE(vt_reply_ok(&m, ids[1], 0x81));
	ASSERT_TRUE(same_set(ids, 2, want, 2));
	ASSERT_EQ(-ETIMEDOUT, v_get_reply(fd1, &m, &rep, 0));
	t0 = vt_now_ms();
	ASSERT_EQ(-ETIMEDOUT, v_get_reply(fd1, &m, &rep, 300000000ULL));
	ms = vt_now_ms() - t0;
	ASSERT_LE(290, ms);
	ASSERT_GT(1300, ms);		/* well inside the window still */
	/* The caller's next Send closes the transaction. */
	ASSERT_EQ(0, round_trip(fd1, a[1].id));
	ASSERT_EQ(-ENOENT, v_get_reply(fd1, &m, &rep, 0));

	/* The window closes it, further reply kept or not. */
	ASSERT_EQ(0, gsend(fd1, gid, 0, 0x82, &rep, &m, NULL));
	t0 = vt_now_ms();
	usleep(2500 * 1000);
	ASSERT_EQ(-ENOENT, v_get_reply(fd1, &m, &rep, 0)) TH_LOG("%lld ms after the Send",
								   (long long)(vt_now_ms() - t0));
	/* A new group Send opens a new one, with only its own replies. */
	ASSERT_EQ(0, gsend(fd1, gid, 0, 0x83, &rep, &m, NULL));
	ASSERT_EQ(2, collect(fd1, rep, 0x83, ids, 4, 1000));
	ASSERT_TRUE(same_set(ids, 2, want, 2));
	close(fd1);
}

/*
 * No member anywhere: ESRCH (within the host-down bound with links; at
 * once without links, where a local member is still reached).
 */
TEST_F_TIMEOUT(groups, send_no_members_esrch, 60)
{
	struct agent a, l;
	struct v_msg m;
	uint64_t gid, gid1, rep;
	int64_t ms;
	int fd0 = gopen(0), fd1 = gopen(1);

	ASSERT_LE(0, fd0);
	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, vctl(0, "set host-down-ms 500"));
	ASSERT_EQ(0, v_group_create(fd0, &gid));
	ASSERT_EQ(-ESRCH, gsend(fd0, gid, 0, 1, &rep, &m, &ms));
	TH_LOG("ESRCH after %lld ms", (long long)ms);
	ASSERT_GT(3000 * vt_scale(), ms);
	ASSERT_EQ(0, ag_start(&a, 2, gid, 1));
	ASSERT_EQ(0, gsend(fd0, gid, 0, 2, &rep, &m, NULL));
	ASSERT_EQ(a.id, rep);
	ASSERT_EQ(0, ag_op(&a, OP_LEAVE, gid));
	ASSERT_EQ(-ESRCH, gsend(fd0, gid, 0, 3, &rep, &m, &ms));
	ASSERT_GT(3000 * vt_scale(), ms);

	/* Host 1 without links. */
	ASSERT_EQ(0, vctl(1, "link del dev " VETH_NS));
	ASSERT_EQ(0, v_group_create(fd1, &gid1));
	ASSERT_EQ(-ESRCH, gsend(fd1, gid1, 0, 4, &rep, &m, &ms));
	TH_LOG("no links: ESRCH after %lld ms", (long long)ms);
	ASSERT_GT(1000 * vt_scale(), ms);
	ASSERT_EQ(0, ag_start(&l, 1, gid1, 1));
	ASSERT_EQ(0, gsend(fd1, gid1, 0, 5, &rep, &m, NULL));
	ASSERT_EQ(l.id, rep);
	ASSERT_TRUE(vt_reply_ok(&m, l.id, 5));
	close(fd0);
	close(fd1);
}

/* ======================================================================== */
/* Qualified group Send                                                     */

/*
 * With a qualifier only the members on the qualifier's host receive: a
 * non-member on host 2, a non-member on host 1 (two members there), a
 * process on the sender's own host.  With a cluster key on every host
 * (this suite's keyed test): a qualified Send takes its answers from the
 * qualifier's host, every frame tagged for its receiver or for all.
 */
TEST_F_TIMEOUT(groups, qualified_send_one_host_only, 90)
{
	static const int hosts[4] = { 0, 1, 1, 2 };
	struct agent a[4];
	struct v_msg m;
	uint64_t gid, rep, ids[8], q[NH];
	int i, h, fd[NH], s0 = gopen(0);

	ASSERT_LE(0, s0);
	for (h = 0; h < NH; h++)
		ASSERT_EQ(0, vctl(h, "set key %s",
				  "67726f7570730000000000000000000000000000000000000000000000000001"));
	for (h = 0; h < NH; h++) {
		fd[h] = gopen(h);
		ASSERT_LE(0, fd[h]);
		q[h] = vt_id(fd[h]);
	}
	ASSERT_EQ(0, v_group_create(s0, &gid));
	ASSERT_EQ(0, ag_start_n(a, 4, hosts, gid, 1));

	/* Host 2: a[3] only. */
	m = request(0x92);
	ASSERT_EQ(0, v_send_qualified(s0, gid, q[2], &m, &rep));
	ASSERT_EQ(a[3].id, rep);
	ASSERT_TRUE(vt_reply_ok(&m, a[3].id, 0x92));
	ASSERT_EQ(1, collect(s0, rep, 0x92, ids, 8, 500));
	struct aev e;

	ASSERT_EQ(0, ag_event(&a[3], &e, MS_WAIT));
	ASSERT_EQ(gid, e.group);
	ASSERT_EQ(vt_id(s0), e.sender);
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(ag_quiet(&a[i], i ? 50 : 300)) TH_LOG("agent %d", i);

	/* Host 1: a[1] and a[2], each once. */
	m = request(0x91);
	ASSERT_EQ(0, v_send_qualified(s0, gid, q[1], &m, &rep));
	ASSERT_TRUE(rep == a[1].id || rep == a[2].id);
	ASSERT_EQ(2, collect(s0, rep, 0x91, ids, 8, 1000));
	uint64_t want[2] = { a[1].id, a[2].id };

	ASSERT_TRUE(same_set(ids, 2, want, 2));
	for (i = 1; i < 3; i++) {
		struct aev e;

		ASSERT_EQ(0, ag_event(&a[i], &e, MS_WAIT));
		ASSERT_EQ(gid, e.group);
	}
	ASSERT_TRUE(ag_quiet(&a[0], 300));
	ASSERT_TRUE(ag_quiet(&a[3], 50));

	/* The sender's own host: a[0]. */
	m = request(0x90);
	ASSERT_EQ(0, v_send_qualified(s0, gid, q[0], &m, &rep));
	ASSERT_EQ(a[0].id, rep);
	ASSERT_EQ(1, collect(s0, rep, 0x90, ids, 8, 500));
	for (i = 1; i < 4; i++)
		ASSERT_TRUE(ag_quiet(&a[i], i == 1 ? 300 : 50)) TH_LOG("agent %d", i);
	for (h = 0; h < NH; h++)
		close(fd[h]);
	close(s0);
}

/*
 * ESRCH when the qualifier's host has no member (remote and local);
 * EINVAL for a qualifier on a process destination and for a group id as
 * qualifier.  None of it reaches the member.
 */
TEST_F_TIMEOUT(groups, qualified_send_errors, 60)
{
	struct agent a;
	struct v_msg m;
	uint64_t gid, gid2, rep, q2;
	int s0 = gopen(0), fd2 = gopen(2);

	ASSERT_LE(0, s0);
	ASSERT_LE(0, fd2);
	q2 = vt_id(fd2);
	ASSERT_EQ(0, v_group_create(s0, &gid));
	ASSERT_EQ(0, v_group_create(fd2, &gid2));
	ASSERT_EQ(0, ag_start(&a, 1, gid, 1));
	m = request(1);
	ASSERT_EQ(-ESRCH, v_send_qualified(s0, gid, q2, &m, &rep));
	m = request(2);
	ASSERT_EQ(-ESRCH, v_send_qualified(s0, gid, vt_id(s0), &m, &rep));
	m = request(3);
	ASSERT_EQ(-EINVAL, v_send_qualified(s0, a.id, q2, &m, &rep));
	m = request(4);
	ASSERT_EQ(-EINVAL, v_send_qualified(s0, gid, gid2, &m, &rep));
	m = request(5);
	ASSERT_EQ(-EINVAL, v_send_qualified(s0, gid, V_GROUP_TIME_SERVERS, &m, &rep));
	ASSERT_TRUE(ag_quiet(&a, 300));
	/* The member's host as qualifier (the member itself): it answers. */
	m = request(6);
	ASSERT_EQ(0, v_send_qualified(s0, gid, a.id, &m, &rep));
	ASSERT_EQ(a.id, rep);
	ASSERT_TRUE(vt_reply_ok(&m, a.id, 6));
	close(s0);
	close(fd2);
}

/* ======================================================================== */
/* Segments of a group Send                                                 */

#define SEG_LEN		16384

/*
 * Members local (host 0) and remote (hosts 1, 2) MoveFrom / MoveTo the
 * sender's segment until the first Reply; then EACCES for every mover
 * (the segment unchanged), a local member's Reply inside the window is a
 * further reply, and after the window a local Reply fails with ENOENT
 * while a remote one is dropped by the sender's kernel (group_dropped).
 */
TEST_F_TIMEOUT(groups, segment_access_until_first_reply, 120)
{
	enum { L = 0, L2, R, R2, NA };
	static const int hosts[NA] = { 0, 0, 1, 2 };
	struct agent a[NA], c;
	struct acmd sc = { .op = OP_SEND, .len = SEG_LEN, .seed = 0x5e6,
			   .access = V_SEG_READ | V_SEG_WRITE, .timeout_ms = 60000 };
	struct acmd mc;
	struct ares res, sres;
	uint8_t *expect;
	uint64_t gid, h_expect;
	long long dropped0;
	int i, s0 = gopen(0);

	ASSERT_LE(0, s0);
	ASSERT_EQ(0, v_group_create(s0, &gid));
	ASSERT_EQ(0, vctl(0, "set " C_GROUP_WINDOW " 3000"));
	ASSERT_EQ(0, ag_start_n(a, NA, hosts, gid, 0));
	ASSERT_EQ(0, ag_start(&c, 0, 0, 0));		/* the client, no member */
	sc.a = gid;
	ASSERT_EQ(0, ag_post(&c, &sc));
	for (i = 0; i < NA; i++) {
		struct acmd rc = { .op = OP_RECV, .timeout_ms = MS_WAIT };

		ASSERT_EQ(0, ag_call(&a[i], &rc, &res)) TH_LOG("member %d", i);
		ASSERT_EQ(c.id, res.r.sender);
		ASSERT_EQ(gid, res.r.group);
		ASSERT_EQ(SEG_LEN, res.r.seg_len);
		ASSERT_EQ(V_SEG_READ | V_SEG_WRITE, res.r.seg_access);
	}
	/* Before any Reply: every member reads the whole segment. */
	expect = malloc(SEG_LEN);
	ASSERT_NE(NULL, expect);
	fill(expect, SEG_LEN, sc.seed, 0);
	for (i = 0; i < NA; i++) {
		mc = (struct acmd){ .op = OP_MFROM, .a = c.id, .b = 0, .len = SEG_LEN };
		ASSERT_EQ(0, ag_call(&a[i], &mc, &res)) TH_LOG("member %d", i);
		ASSERT_EQ(hash_buf(expect, SEG_LEN), res.val) TH_LOG("member %d", i);
	}
	/* L writes [0, 1024), R writes [8192, 10240). */
	mc = (struct acmd){ .op = OP_MTO, .a = c.id, .b = 0, .len = 1024, .seed = 0xa1 };
	ASSERT_EQ(0, ag_call(&a[L], &mc, &res));
	fill(expect, 1024, 0xa1, 0);
	mc = (struct acmd){ .op = OP_MTO, .a = c.id, .b = 8192, .len = 2048, .seed = 0xa2 };
	ASSERT_EQ(0, ag_call(&a[R], &mc, &res));
	fill(expect + 8192, 2048, 0xa2, 8192);
	h_expect = hash_buf(expect, SEG_LEN);
	/* R2 sees R's and L's writes. */
	mc = (struct acmd){ .op = OP_MFROM, .a = c.id, .b = 0, .len = SEG_LEN };
	ASSERT_EQ(0, ag_call(&a[R2], &mc, &res));
	ASSERT_EQ(h_expect, res.val);

	/* R replies first: the Send returns with R's reply. */
	mc = (struct acmd){ .op = OP_REPLY, .a = c.id, .b = sc.seed };
	ASSERT_EQ(0, ag_call(&a[R], &mc, &res));
	ASSERT_EQ(0, ag_result(&c, &sres, MS_WAIT));
	ASSERT_EQ(a[R].id, sres.val);
	ASSERT_TRUE(vt_reply_ok(&sres.msg, a[R].id, sc.seed));
	ASSERT_EQ(h_expect, ag_hash(&c));
	/* The segment is closed to everyone now, local or remote. */
	for (i = 0; i < NA; i++) {
		if (i == R)
			continue;
		mc = (struct acmd){ .op = OP_MFROM, .a = c.id, .b = 0, .len = 512 };
		ASSERT_EQ(-EACCES, ag_call(&a[i], &mc, &res)) TH_LOG("member %d", i);
		mc = (struct acmd){ .op = OP_MTO, .a = c.id, .b = 0, .len = 512, .seed = 0xbad };
		ASSERT_EQ(-EACCES, ag_call(&a[i], &mc, &res)) TH_LOG("member %d", i);
	}
	ASSERT_EQ(h_expect, ag_hash(&c));	/* nothing written */
	/* L's Reply inside the window: a further reply for GetReply. */
	mc = (struct acmd){ .op = OP_REPLY, .a = c.id, .b = sc.seed };
	ASSERT_EQ(0, ag_call(&a[L], &mc, &res));
	mc = (struct acmd){ .op = OP_GETREPLY, .timeout_ms = 3000 };
	ASSERT_EQ(0, ag_call(&c, &mc, &res));
	ASSERT_EQ(a[L].id, res.val);
	ASSERT_TRUE(vt_reply_ok(&res.msg, a[L].id, sc.seed));
	/* After the window: L2's Reply fails, R2's is dropped at host 0. */
	usleep(4000 * 1000);
	mc = (struct acmd){ .op = OP_REPLY, .a = c.id, .b = sc.seed };
	ASSERT_EQ(-ENOENT, ag_call(&a[L2], &mc, &res));
	dropped0 = nstat(0, "group_dropped");
	ASSERT_LE(0, dropped0);
	ASSERT_EQ(0, ag_call(&a[R2], &mc, &res));
	ASSERT_LT(dropped0, nstat_wait_above(0, "group_dropped", dropped0, MS_WAIT));
	mc = (struct acmd){ .op = OP_GETREPLY, .timeout_ms = 0 };
	ASSERT_EQ(-ENOENT, ag_call(&c, &mc, &res));
	free(expect);
	close(s0);
}

/* ======================================================================== */
/* Members                                                                  */

/* The cluster-wide total and ids; truncation; after leave and exit. */
TEST_F_TIMEOUT(groups, members_total_truncation_leave_exit, 60)
{
	static const int hosts[6] = { 0, 0, 1, 2, 2, 2 };
	const uint64_t sentinel = 0xaaaaaaaaaaaaaaaaULL;
	struct agent a[6];
	uint64_t gid, ids[16], want[6];
	int i, j, fd0 = gopen(0), fd1 = gopen(1), fd2 = gopen(2);

	ASSERT_LE(0, fd0);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, v_group_create(fd1, &gid));
	ASSERT_EQ(0, ag_start_n(a, 6, hosts, gid, 0));
	ag_ids(a, 6, want);
	ASSERT_EQ(6, members(fd0, gid, ids, 16));
	ASSERT_TRUE(same_set(ids, 6, want, 6));
	ASSERT_EQ(6, members(fd1, gid, ids, 6));
	ASSERT_TRUE(same_set(ids, 6, want, 6));
	/* Truncated: 4 distinct members, nothing written beyond. */
	for (i = 0; i < 16; i++)
		ids[i] = sentinel;
	ASSERT_EQ(6, members(fd2, gid, ids, 4));
	for (i = 0; i < 4; i++) {
		ASSERT_TRUE(in_set(ids[i], want, 6)) TH_LOG("ids[%d] 0x%llx", i,
							    (unsigned long long)ids[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(ids[j], ids[i]);
	}
	for (i = 4; i < 16; i++)
		ASSERT_EQ(sentinel, ids[i]);
	ASSERT_EQ(6, members(fd2, gid, NULL, 0));
	/* One leaves (host 2), one exits (host 0). */
	ASSERT_EQ(0, ag_op(&a[3], OP_LEAVE, gid));
	ASSERT_EQ(1009, ag_kill(&a[0]));
	uint64_t left[4] = { a[1].id, a[2].id, a[4].id, a[5].id };

	ASSERT_EQ(4, members(fd0, gid, ids, 16));
	ASSERT_TRUE(same_set(ids, 4, left, 4));
	ASSERT_EQ(4, members(fd2, gid, ids, 16));
	ASSERT_TRUE(same_set(ids, 4, left, 4));
	close(fd0);
	close(fd1);
	close(fd2);
}

/*
 * A host's interface down, another host's interface deleted: their
 * members disappear from the group; group Sends get the others' replies;
 * the host back up, its members are back.
 */
TEST_F_TIMEOUT(groups, host_loss_shrinks_group, 120)
{
	static const int hosts[6] = { 0, 0, 1, 1, 2, 2 };
	struct agent a[6];
	struct v_msg m;
	uint64_t gid, ids[16], want[6], rep;
	int s0 = gopen(0);

	ASSERT_LE(0, s0);
	ASSERT_EQ(0, v_group_create(s0, &gid));
	ASSERT_EQ(0, ag_start_n(a, 6, hosts, gid, 1));
	ag_ids(a, 6, want);
	ASSERT_EQ(6, members(s0, gid, ids, 16));
	ASSERT_EQ(0, vctl(0, "set host-down-ms 500"));

	ASSERT_EQ(0, vt_sh("ip -n " NS_FMT " link set " VETH_NS " down", 2));
	ASSERT_EQ(4, members(s0, gid, ids, 16));
	ASSERT_TRUE(same_set(ids, 4, want, 4));
	ASSERT_EQ(0, gsend(s0, gid, 0, 0xd1, &rep, &m, NULL));
	ASSERT_EQ(4, collect(s0, rep, 0xd1, ids, 16, 1500));
	ASSERT_TRUE(same_set(ids, 4, want, 4));

	ASSERT_EQ(0, vt_sh("ip link del " PORT_FMT, 1));
	ASSERT_EQ(2, members(s0, gid, ids, 16));
	ASSERT_TRUE(same_set(ids, 2, want, 2));
	ASSERT_EQ(0, gsend(s0, gid, 0, 0xd2, &rep, &m, NULL));
	ASSERT_EQ(2, collect(s0, rep, 0xd2, ids, 16, 1500));
	ASSERT_TRUE(same_set(ids, 2, want, 2));

	ASSERT_EQ(0, vt_sh("ip -n " NS_FMT " link set " VETH_NS " up", 2));
	ASSERT_EQ(4, members_wait(s0, gid, ids, 16, 4, MS_WAIT));
	uint64_t back[4] = { a[0].id, a[1].id, a[4].id, a[5].id };

	ASSERT_TRUE(same_set(ids, 4, back, 4));
	ASSERT_EQ(0, gsend(s0, gid, 0, 0xd3, &rep, &m, NULL));
	ASSERT_EQ(4, collect(s0, rep, 0xd3, ids, 16, 1500));
	ASSERT_TRUE(same_set(ids, 4, back, 4));
	close(s0);
}

/* ======================================================================== */
/* vctl                                                                     */

/* `vctl [-j] group show` and host show's group fields follow joins and exits. */
TEST_F_TIMEOUT(groups, vctl_group_show, 60)
{
	struct agent a1, a2;
	uint64_t g1, g2, ids[8], want[2];
	char out[8192], hex[32];
	int n, fd2 = gopen(2);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, v_group_create(fd2, &g1));
	ASSERT_EQ(0, v_group_create(fd2, &g2));
	ASSERT_EQ(0, ag_start(&a1, 1, g1, 0));
	ASSERT_EQ(0, ag_start(&a2, 1, g1, 0));
	ASSERT_EQ(0, ag_op(&a1, OP_JOIN, g2));
	want[0] = a1.id;
	want[1] = a2.id;
	ASSERT_EQ(2, group_find(1, g1, ids, 8, &n));
	ASSERT_TRUE(same_set(ids, 2, want, 2));
	ASSERT_EQ(1, group_find(1, g2, ids, 8, &n));
	ASSERT_EQ(a1.id, ids[0]);
	ASSERT_EQ(2, n);
	ASSERT_EQ(2, hstat(1, K_HOST_GROUPS));
	ASSERT_EQ(3, hstat(1, K_HOST_MEMBERS));
	/* Host 2 created them but has no member: not listed there. */
	ASSERT_EQ(-1, group_find(2, g1, ids, 8, &n));
	ASSERT_EQ(0, n);
	ASSERT_EQ(0, hstat(2, K_HOST_GROUPS));
	ASSERT_EQ(0, hstat(2, K_HOST_MEMBERS));
	/* The text form names the groups and members. */
	ASSERT_EQ(0, vctl_out(1, C_GROUP_SHOW, out, sizeof(out)));
	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)g1);
	ASSERT_NE(NULL, strstr(out, hex)) TH_LOG("%s", out);
	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)g2);
	ASSERT_NE(NULL, strstr(out, hex)) TH_LOG("%s", out);
	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)a2.id);
	ASSERT_NE(NULL, strstr(out, hex)) TH_LOG("%s", out);
	/* a2 leaves, a1 exits. */
	ASSERT_EQ(0, ag_op(&a2, OP_LEAVE, g1));
	ASSERT_EQ(1, group_find(1, g1, ids, 8, &n));
	ASSERT_EQ(a1.id, ids[0]);
	ASSERT_EQ(2, hstat(1, K_HOST_MEMBERS));
	ASSERT_EQ(0, vctl_out(1, C_GROUP_SHOW, out, sizeof(out)));
	ASSERT_EQ(NULL, strstr(out, hex)) TH_LOG("%s", out);
	ASSERT_EQ(1009, ag_kill(&a1));
	ASSERT_EQ(-1, group_find(1, g1, ids, 8, &n));
	ASSERT_EQ(-1, group_find(1, g2, ids, 8, &n));
	ASSERT_EQ(0, n);
	ASSERT_EQ(0, hstat(1, K_HOST_GROUPS));
	ASSERT_EQ(0, hstat(1, K_HOST_MEMBERS));
	close(fd2);
}

/* host show: the defaults and settings of the group and map fields. */
TEST_F_TIMEOUT(groups, vctl_host_show_group_fields, 90)
{
	char out[4096];

	ASSERT_EQ(V_GROUP_WINDOW_MS_DEFAULT, hstat(2, K_GROUP_WINDOW));
	ASSERT_EQ(V_MAP_AGE_MS_DEFAULT, hstat(2, K_MAP_AGE));
	ASSERT_EQ(V_MAX_MEMBERS_DEFAULT, hstat(2, K_MAX_MEMBERS));
	ASSERT_EQ(0, hstat(2, K_HOST_GROUPS));
	ASSERT_EQ(0, hstat(2, K_HOST_MEMBERS));
	ASSERT_EQ(0, vctl(2, "set " C_GROUP_WINDOW " 1234 " C_MAP_AGE " 4321 " C_MAX_MEMBERS " 77"));
	ASSERT_EQ(1234, hstat(2, K_GROUP_WINDOW));
	ASSERT_EQ(4321, hstat(2, K_MAP_AGE));
	ASSERT_EQ(77, hstat(2, K_MAX_MEMBERS));
	/* Out of range: refused, nothing changed. */
	ASSERT_NE(0, vctl(2, "set " C_GROUP_WINDOW " %u", V_GROUP_WINDOW_MS_MIN - 1));
	ASSERT_NE(0, vctl(2, "set " C_MAP_AGE " %u", V_MAP_AGE_MS_MIN - 1));
	ASSERT_EQ(1234, hstat(2, K_GROUP_WINDOW));
	ASSERT_EQ(4321, hstat(2, K_MAP_AGE));
	/* Other hosts keep their own. */
	ASSERT_EQ(V_GROUP_WINDOW_MS_DEFAULT, hstat(1, K_GROUP_WINDOW));
	/* The text form. */
	ASSERT_EQ(0, vctl_out(2, "host show", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, C_GROUP_WINDOW " 1234")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, C_MAP_AGE " 4321")) TH_LOG("%s", out);
}

/* ======================================================================== */
/* Mapping table                                                            */

/* map show: learned entries with the link, the peer's MAC and a growing age. */
TEST_F_TIMEOUT(groups, map_show_learned, 60)
{
	struct agent a1, a2;
	struct mapent e, e2;
	uint8_t mac[6];
	char ms[32];
	int ifx0, ifx, fd0 = gopen(0);

	ASSERT_LE(0, fd0);
	ASSERT_EQ(0, ag_start(&a1, 1, 0, 1));
	ASSERT_EQ(0, ag_start(&a2, 2, 0, 1));
	ASSERT_EQ(0, round_trip(fd0, a1.id));
	ASSERT_EQ(0, round_trip(fd0, a2.id));
	ASSERT_EQ(0, if_info(0, VETH_NS, mac, &ifx0));
	ASSERT_EQ(0, if_info(1, VETH_NS, mac, &ifx));
	mac_str(mac, ms);
	ASSERT_EQ(1, map_find(0, self->hp[1], &e));
	ASSERT_EQ(ifx0, e.ifindex);
	ASSERT_EQ(0, strcasecmp(ms, e.addr)) TH_LOG("%s vs %s", ms, e.addr);
	ASSERT_STREQ(S_LEARNED, e.state);
	ASSERT_LE(0, e.age_ms);
	ASSERT_GT(60000, e.age_ms);
	ASSERT_EQ(0, if_info(2, VETH_NS, mac, &ifx));
	mac_str(mac, ms);
	ASSERT_EQ(1, map_find(0, self->hp[2], &e2));
	ASSERT_EQ(0, strcasecmp(ms, e2.addr));
	ASSERT_STREQ(S_LEARNED, e2.state);
	/* The age grows while nothing is heard. */
	usleep(600 * 1000);
	ASSERT_EQ(1, map_find(0, self->hp[2], &e));
	ASSERT_LE(e2.age_ms + 500, e.age_ms);
	/* Host 0's own host part is no entry of its table. */
	ASSERT_EQ(0, map_find(0, self->hp[0], &e));
	close(fd0);
}

/* Wait until host h's entry for hp shows MAC mac (up to ms, scaled). */
static int map_wait_addr(int h, uint32_t hp, const uint8_t *mac, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	struct mapent e;
	char s[32];

	mac_str(mac, s);
	do {
		if (map_find(h, hp, &e) == 1 && !strcasecmp(s, e.addr))
			return 0;
		usleep(100000);
	} while (vt_now_ms() < end);
	return -1;
}

/* Host 1's MAC changes: the same ids stay reachable from hosts 0 and 2. */
TEST_F_TIMEOUT(groups, map_mac_change_same_ids, 60)
{
	struct agent a;
	uint8_t mac[6], nmac[6] = { 0x02, 0x76, 0x6b, 0x00, 0x01, 0x00 };
	uint64_t gid, rep;
	struct v_msg m;
	int ifx, fd0 = gopen(0), fd2 = gopen(2);

	ASSERT_LE(0, fd0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, v_group_create(fd2, &gid));
	ASSERT_EQ(0, ag_start(&a, 1, gid, 1));
	ASSERT_EQ(0, round_trip(fd0, a.id));
	ASSERT_EQ(0, round_trip(fd2, a.id));
	ASSERT_EQ(0, if_info(1, VETH_NS, mac, &ifx));
	nmac[5] = mac[5] ^ 0x5a;
	ASSERT_EQ(0, vt_sh("ip -n " NS_FMT " link set " VETH_NS
			   " address %02x:%02x:%02x:%02x:%02x:%02x", 1,
			   nmac[0], nmac[1], nmac[2], nmac[3], nmac[4], nmac[5]));
	ASSERT_EQ(0, if_info(1, VETH_NS, mac, &ifx));
	ASSERT_EQ(0, memcmp(mac, nmac, 6));
	ASSERT_EQ(0, round_trip(fd0, a.id));
	ASSERT_EQ(0, round_trip(fd2, a.id));
	ASSERT_EQ(0, gsend(fd0, gid, 0, 0xe1, &rep, &m, NULL));
	ASSERT_EQ(a.id, rep);
	ASSERT_EQ(0, map_wait_addr(0, self->hp[1], nmac, MS_WAIT));
	ASSERT_EQ(0, map_wait_addr(2, self->hp[1], nmac, MS_WAIT));
	close(fd0);
	close(fd2);
}

/* Host 1's interface replaced (new veth, new MAC): the same ids reachable. */
TEST_F_TIMEOUT(groups, map_interface_replaced_same_ids, 60)
{
	struct agent a;
	uint8_t omac[6], nmac[6];
	uint64_t gid, rep;
	struct v_msg m;
	int ifx, fd0 = gopen(0), fd2 = gopen(2);

	ASSERT_LE(0, fd0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, v_group_create(fd0, &gid));
	ASSERT_EQ(0, ag_start(&a, 1, gid, 1));
	ASSERT_EQ(0, round_trip(fd0, a.id));
	ASSERT_EQ(0, round_trip(fd2, a.id));
	ASSERT_EQ(0, if_info(1, VETH_NS, omac, &ifx));
	ASSERT_EQ(0, vctl(1, "link del dev " VETH_NS));
	ASSERT_EQ(0, vt_sh("ip link del " PORT_FMT, 1));
	ASSERT_EQ(0, vt_sh("ip link add " PORT_FMT " type veth peer name " VETH_NS " netns " NS_FMT
			   " && ip link set " PORT_FMT " master " BRIDGE " up"
			   " && ip -n " NS_FMT " link set " VETH_NS " up", 1, 1, 1, 1));
	ASSERT_EQ(0, if_info(1, VETH_NS, nmac, &ifx));
	ASSERT_NE(0, memcmp(omac, nmac, 6));
	ASSERT_EQ(0, vctl(1, "link add dev " VETH_NS " insecure"));
	ASSERT_EQ(0, round_trip(fd0, a.id));
	ASSERT_EQ(0, round_trip(fd2, a.id));
	ASSERT_EQ(0, gsend(fd2, gid, 0, 0xe2, &rep, &m, NULL));
	ASSERT_EQ(a.id, rep);
	ASSERT_EQ(0, map_wait_addr(0, self->hp[1], nmac, MS_WAIT));
	close(fd0);
	close(fd2);
}

/* With map-age-ms 1000 an unused entry goes (map_aged), and comes back. */
TEST_F_TIMEOUT(groups, map_aging, 60)
{
	struct agent a;
	struct mapent e;
	long long aged0, q0;
	int64_t end;
	int found, fd0 = gopen(0);

	ASSERT_LE(0, fd0);
	ASSERT_EQ(0, vctl(0, "set " C_MAP_AGE " 1000"));
	ASSERT_EQ(0, ag_start(&a, 1, 0, 1));
	/* Read before the round trip: the entry may age before the next line. */
	aged0 = nstat(0, "map_aged");
	ASSERT_LE(0, aged0);
	ASSERT_EQ(0, round_trip(fd0, a.id));
	ASSERT_EQ(1, map_find(0, self->hp[1], &e));
	end = vt_now_ms() + 10000 * vt_scale();
	do {
		usleep(200000);
		found = map_find(0, self->hp[1], &e);
	} while (found == 1 && vt_now_ms() < end);
	ASSERT_EQ(0, found);
	ASSERT_LT(aged0, nstat(0, "map_aged"));
	/* Found again when needed (a WHERE query), same id. */
	q0 = nstat(0, "map_queries");
	ASSERT_EQ(0, round_trip(fd0, a.id));
	ASSERT_EQ(1, map_find(0, self->hp[1], &e));
	ASSERT_LT(q0, nstat(0, "map_queries"));
	close(fd0);
}

/* ======================================================================== */
/* Fixture hosts: tests that build their own hosts                          */

FIXTURE(hosts) {
	pid_t owner;
	int ready;
};

FIXTURE_SETUP(hosts)
{
	self->owner = getpid();
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	if (vt_topo_exists(&topo))
		vt_topo_destroy(&topo);
	self->ready = 1;
}

FIXTURE_TEARDOWN(hosts)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	if (self->ready)
		vt_topo_destroy(&topo);
	vt_root_close();
}

/* A host part for the collision tests, away from random ones by chance. */
static uint32_t test_part(void)
{
	return 0x2345600 + (getpid() & 0xff);
}

/*
 * Eight hosts attach their links at once: pairwise-disjoint host parts
 * and process ids, no collision counted; one group across all eight.
 */
TEST_F_TIMEOUT(hosts, eight_hosts_at_once_disjoint, 180)
{
	struct agent a[NHMAX];
	pid_t p[NHMAX];
	uint64_t ids[2 * NHMAX], gid, got[16], want[NHMAX], rep;
	struct v_msg m;
	int h, i, j, fd[2 * NHMAX], s;

	ASSERT_EQ(0, topo_build(NHMAX, NULL, 0, 0));
	for (h = 0; h < NHMAX; h++) {
		p[h] = kid_fork(0);
		ASSERT_LE(0, p[h]);
		if (p[h] == 0)
			_exit(vt_vctl_run(hn(h), "link add dev " VETH_NS " insecure", NULL, 0, 0));
	}
	for (h = 0; h < NHMAX; h++)
		ASSERT_EQ(0, kid_wait(p[h])) TH_LOG("link add on host %d", h);
	for (h = 0; h < NHMAX; h++) {
		for (i = 0; i < 2; i++) {
			fd[2 * h + i] = gopen(h);
			ASSERT_LE(0, fd[2 * h + i]);
			ids[2 * h + i] = vt_id(fd[2 * h + i]);
		}
		ASSERT_NE(0, v_id_host(ids[2 * h]));
		ASSERT_EQ(v_id_host(ids[2 * h]), v_id_host(ids[2 * h + 1]));
	}
	for (i = 0; i < 2 * NHMAX; i++)
		for (j = 0; j < i; j++) {
			ASSERT_NE(ids[j], ids[i]);
			if (j / 2 != i / 2)
				ASSERT_NE(v_id_host(ids[j]), v_id_host(ids[i]))
					TH_LOG("hosts %d and %d share 0x%x", j / 2, i / 2,
					       v_id_host(ids[i]));
		}
	for (h = 0; h < NHMAX; h++)
		ASSERT_EQ(0, nstat(h, "collisions")) TH_LOG("host %d", h);
	/* A group with one member on each host, Send from host 5. */
	ASSERT_EQ(0, v_group_create(fd[6], &gid));
	for (h = 0; h < NHMAX; h++)
		ASSERT_EQ(0, ag_start(&a[h], h, gid, 1));
	ag_ids(a, NHMAX, want);
	ASSERT_EQ(NHMAX, members(fd[0], gid, got, 16));
	ASSERT_TRUE(same_set(got, NHMAX, want, NHMAX));
	s = fd[10];
	ASSERT_EQ(0, gsend(s, gid, 0, 0x88, &rep, &m, NULL));
	ASSERT_EQ(NHMAX, collect(s, rep, 0x88, got, 16, 2000));
	ASSERT_TRUE(same_set(got, NHMAX, want, NHMAX));
	for (i = 0; i < 2 * NHMAX; i++)
		close(fd[i]);
}

/*
 * Two hosts given the same host part: the second's attach is denied
 * (EADDRINUSE, counted as a collision); with another part it attaches.
 */
TEST_F_TIMEOUT(hosts, collision_at_attach_eaddrinuse, 90)
{
	uint32_t parts[2] = { test_part(), test_part() };
	struct agent a;
	char out[2048];
	int fd1, fd0;

	ASSERT_EQ(0, topo_build(2, parts, 0, 0));
	ASSERT_EQ(0, vctl(0, "link add dev " VETH_NS " insecure"));
	ASSERT_EQ(1, vt_vctl_run(hn(1), "link add dev " VETH_NS " insecure", out, sizeof(out), VT_VCTL_STDERR));
	ASSERT_NE(NULL, strstr(out, "Address already in use")) TH_LOG("%s", out);
	ASSERT_LE(1, nstat(1, "collisions"));
	ASSERT_EQ(0, vctl_out(1, "-j link show", out, sizeof(out)));
	ASSERT_EQ(NULL, strstr(out, VETH_NS)) TH_LOG("%s", out);
	ASSERT_EQ(parts[0], hstat(1, K_HOST_PART));
	/* Host 0 keeps its part and its link. */
	ASSERT_EQ(parts[0], hstat(0, K_HOST_PART));
	ASSERT_EQ(0, vctl_out(0, "-j link show", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, VETH_NS));
	/* Another part: host 1 attaches and the two talk. */
	ASSERT_EQ(0, vctl(1, "set host-part %u", parts[0] + 1));
	ASSERT_EQ(0, vctl(1, "link add dev " VETH_NS " insecure"));
	fd1 = gopen(1);
	fd0 = gopen(0);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd0);
	ASSERT_EQ(parts[0] + 1, v_id_host(vt_id(fd1)));
	ASSERT_EQ(parts[0], v_id_host(vt_id(fd0)));
	ASSERT_EQ(0, ag_start(&a, 0, 0, 1));
	ASSERT_EQ(0, round_trip(fd1, a.id));
	close(fd0);
	close(fd1);
}

/*
 * Two hosts with the same host part attach apart, then meet: once their
 * traffic flows the third host fences that host part (map show "fenced",
 * Sends to it EHOSTUNREACH well before its host-down bound); map del
 * removes the fence.
 */
TEST_F_TIMEOUT(hosts, collision_after_meeting_fenced, 120)
{
	uint32_t P = test_part() + 0x100, parts[3] = { P, P, 0 };
	struct v_pid gp;
	struct mapent e;
	struct v_msg m;
	uint64_t ida, rep;
	int64_t end, ms;
	int found = 0, fa, fb, fc;
	long long coll;

	ASSERT_EQ(0, topo_build(3, parts, 0x3, 0x7));
	fa = gopen(0);
	fb = gopen(1);
	fc = gopen(2);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	ASSERT_LE(0, fc);
	ida = vt_id(fa);
	ASSERT_EQ(P, v_id_host(ida));
	ASSERT_EQ(P, v_id_host(vt_id(fb)));
	ASSERT_NE(P, v_id_host(vt_id(fc)));
	ASSERT_EQ(0, vctl(2, "set host-down-ms 30000"));
	ASSERT_EQ(0, topo_connect(0));
	ASSERT_EQ(0, topo_connect(1));
	/* Traffic from both: GetPid broadcasts, until host 2 fences P. */
	end = vt_now_ms() + 15000 * vt_scale();
	do {
		int fd = found & 1 ? fb : fa;

		memset(&gp, 0, sizeof(gp));
		gp.logical_id = 7777;
		gp.scope = V_SCOPE_REMOTE;
		gp.timeout_ns = 200000000ULL;
		ioctl(fd, V_IOC_GET_PID, &gp);
		found++;
		if (map_find(2, P, &e) == 1 && !strcmp(e.state, S_FENCED))
			break;
	} while (vt_now_ms() < end);
	ASSERT_EQ(1, map_find(2, P, &e));
	ASSERT_STREQ(S_FENCED, e.state);
	coll = nstat(0, "collisions") + nstat(1, "collisions");
	ASSERT_LE(1, coll);
	/* Host 2 reaches neither: EHOSTUNREACH at once, not after 30 s. */
	ASSERT_EQ(-EHOSTUNREACH, gsend(fc, ida, 0, 1, &rep, &m, &ms));
	TH_LOG("EHOSTUNREACH after %lld ms", (long long)ms);
	ASSERT_GT(10000, ms);
	/* Quiet the two, then the admin removes the fence. */
	ASSERT_EQ(0, vt_sh("ip link set " PORT_FMT " down && ip link set " PORT_FMT " down", 0, 1));
	ASSERT_EQ(0, vctl(2, C_MAP_DEL " %u", P));
	ASSERT_EQ(0, map_find(2, P, &e));
	ASSERT_EQ(1, vctl(2, C_MAP_DEL " %u", P));
	close(fa);
	close(fb);
	close(fc);
}

TEST_HARNESS_MAIN
