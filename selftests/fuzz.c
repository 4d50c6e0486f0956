// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "fuzz": randomized robustness tests of vkmod.
 *
 *   ioctl_single    one process: every V ioctl (and random ones of the V
 *                   type and of other types) with bad pointers and with
 *                   structs full of edge values; a helper thread of the same
 *                   process Sends to the fuzzed sockets so Reply, Move and
 *                   Forward also meet really held messages.
 *   multi_process   servers and clients (two threads each) in several
 *                   processes doing random valid-ish sequences while the
 *                   test stops, signals, kills and respawns them.
 *   wire            two V hosts (network namespaces joined by a veth pair);
 *                   random and mutated V frames injected with AF_PACKET in
 *                   both directions (also as answers to frames sniffed from
 *                   the hosts) while legit echo traffic must stay correct.
 *   module_refcount the module is pinned by nothing once all is closed.
 *
 * Every call must return 0 or -1 with an errno of the contract
 * (include/uapi/linux/v.h); anything else is counted as a violation, and
 * the kernel must not WARN, oops or hang (the runner checks the console).
 *
 * Knobs (environment): VK_FUZZ_SECS seconds of fuzzing per test (default
 * 7: about 20 s in all), VK_FUZZ_SEED the random seed (printed by every
 * test so a failure can be replayed; the multi-process and wire tests are
 * timing dependent, so a seed reproduces their decisions, not their
 * interleaving).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <endian.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include "vtest.h"
#include "vwire.h"
#include "kselftest_harness.h"

#define FZ_SECS_DEFAULT	7
#define PG		4096UL

/* ------------------------------------------------------------------------ */
/* Random numbers                                                           */

static __thread uint64_t rs = 0x9e3779b97f4a7c15ULL;

static void rseed(uint64_t s)
{
	rs = s ^ 0x9e3779b97f4a7c15ULL;
	if (!rs)
		rs = 1;
}

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(int pct)
{
	return (int)rn(100) < pct;
}

static void rnd_bytes(void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		uint64_t v = rnd();
		size_t k = n < 8 ? n : 8;

		memcpy(b, &v, k);
		b += k;
		n -= k;
	}
}

static const uint64_t edges[] = {
	0, 1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 255, 256, 1023, 4095, 4096, 4097,
	8191, 32767, 32768, 32769, 65535, 65536, (1ULL << 30) - 1, 1ULL << 30,
	(1ULL << 30) + 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, ~0ULL - 1, ~0ULL - 4095,
	0x00007ffffffff000ULL, 0xffff888000000000ULL,
};

static uint64_t edge(void)
{
	if (chance(70))
		return edges[rn(sizeof(edges) / sizeof(edges[0]))];
	return rnd() >> rn(64);
}

static uint32_t edge32(void)
{
	return chance(50) ? (uint32_t)edge() : (uint32_t)rnd() >> rn(32);
}

/* ------------------------------------------------------------------------ */
/* Knobs, shared state, violations                                          */

static int fz_secs(void)
{
	const char *s = getenv("VK_FUZZ_SECS");
	int v = s ? atoi(s) : 0;

	return v > 0 ? v : FZ_SECS_DEFAULT;
}

static uint64_t fz_seed(void)
{
	const char *s = getenv("VK_FUZZ_SEED");
	struct timespec ts;

	if (s && *s)
		return strtoull(s, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 32);
}

#define NMSG	24
#define MAXERR	160

/* In MAP_SHARED memory: counters of every process of a test. */
struct fz_shared {
	atomic_int stop;
	atomic_ullong calls;
	atomic_ullong ok;
	atomic_ullong viol;
	atomic_ullong err[MAXERR + 1];	/* errno histogram, last = other */
	atomic_int nmsg;
	char msg[NMSG][240];

	/* multi_process */
	atomic_ullong ids[16];		/* published ids of each slot */
	atomic_ullong stale[64];
	atomic_uint nstale;

	/* wire */
	atomic_ullong legit_ok, legit_fail, legit_bytes;
	atomic_ullong victim_sends, sink_ops;
	atomic_ullong victim_ids[4];
	atomic_ullong legit_id, echo_id, sink_id;
};

static struct fz_shared *SH;

static struct fz_shared *sh_new(void)
{
	void *p = mmap(NULL, sizeof(struct fz_shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, sizeof(struct fz_shared));
	return p;
}

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	int i = atomic_fetch_add(&SH->nmsg, 1);
	va_list ap;

	if (i >= NMSG)
		return;
	va_start(ap, fmt);
	vsnprintf(SH->msg[i], sizeof(SH->msg[i]), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# [pid %d] %s\n", getpid(), SH->msg[i]);
}

static void __attribute__((format(printf, 1, 2))) violation(const char *fmt, ...)
{
	char buf[220];
	va_list ap;

	atomic_fetch_add(&SH->viol, 1);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	note("VIOLATION: %s", buf);
}

/* ------------------------------------------------------------------------ */
/* The V ioctls and the errno sets the contract allows for each            */

#define E_END	0
static const int e_send[] = { EINVAL, EFAULT, ESRCH, EHOSTUNREACH, ETIMEDOUT, EBUSY,
			      EALREADY, EINTR, ESHUTDOWN, EMSGSIZE, EOPNOTSUPP, ENOMEM, E_END };
static const int e_recv[] = { EINVAL, EFAULT, EAGAIN, EINTR, ESHUTDOWN, ENOMEM, E_END };
/* ETIMEDOUT: a held message whose deadline passed (uapi "Deadlines"). */
static const int e_reply[] = { EINVAL, EFAULT, ENOENT, EMSGSIZE, EACCES, ERANGE, ESHUTDOWN,
			       EHOSTUNREACH, ENOMEM, ETIMEDOUT, E_END };
static const int e_rr[] = { EINVAL, EFAULT, ENOENT, EMSGSIZE, EACCES, ERANGE, ESHUTDOWN,
			    EHOSTUNREACH, ENOMEM, EAGAIN, EINTR, ETIMEDOUT, E_END };
static const int e_fwd[] = { EINVAL, EFAULT, ENOENT, ESRCH, EHOSTUNREACH, EOPNOTSUPP,
			     ESHUTDOWN, ENOMEM, ETIMEDOUT, E_END };
static const int e_move[] = { EINVAL, EFAULT, ENOENT, EACCES, ERANGE, ESHUTDOWN,
			      EHOSTUNREACH, EINTR, ENOMEM, ETIMEDOUT, E_END };
static const int e_watch[] = { EINVAL, EFAULT, EEXIST, ENOSPC, ENOENT, EHOSTUNREACH, EPROTO,
			       ESHUTDOWN, ENOMEM, E_END };
static const int e_notify[] = { EINVAL, EFAULT, ESHUTDOWN, E_END };
static const int e_setpid[] = { EINVAL, EFAULT, EPERM, ENOENT, ESRCH, EEXIST, ESHUTDOWN,
				ENOMEM, E_END };
static const int e_getpid[] = { EINVAL, EFAULT, ESRCH, EINTR, ESHUTDOWN, ENOMEM, E_END };
static const int e_group[] = { EINVAL, EFAULT, ENOENT, ESRCH, ETIMEDOUT, EPERM, EEXIST,
			       ENOSPC, ESHUTDOWN, EINTR, ENOMEM, EHOSTUNREACH, E_END };
static const int e_vother[] = { EOPNOTSUPP, ESHUTDOWN, E_END };
static const int e_nonv[] = { ENOTTY, E_END };
static const int e_shut[] = { ESHUTDOWN, E_END };
static const int e_fault[] = { EFAULT, E_END };

enum { C_SEND, C_RECV, C_RECV_SEG, C_REPLY, C_REPLY_SEG, C_RR, C_FWD, C_MOVE_TO,
       C_MOVE_FROM, C_SET_PID, C_GET_PID, C_G_CREATE, C_G_JOIN, C_G_LEAVE, C_G_MEMBERS,
       C_GET_REPLY, C_WATCH, C_UNWATCH, C_NOTIFY, C_RECV_V1, C_RECV_SEG_V1, C_RR_V1, NCMD };

static const struct vcmd {
	unsigned int cmd;
	const char *name;
	size_t size;
	const int *errs;
} vcmds[NCMD] = {
	[C_SEND] = { V_IOC_SEND, "SEND", sizeof(struct v_send), e_send },
	[C_RECV] = { V_IOC_RECEIVE, "RECEIVE", sizeof(struct v_receive), e_recv },
	[C_RECV_SEG] = { V_IOC_RECEIVE_SEG, "RECEIVE_SEG", sizeof(struct v_receive), e_recv },
	[C_REPLY] = { V_IOC_REPLY, "REPLY", sizeof(struct v_reply), e_reply },
	[C_REPLY_SEG] = { V_IOC_REPLY_SEG, "REPLY_SEG", sizeof(struct v_reply), e_reply },
	[C_RR] = { V_IOC_REPLY_RECEIVE, "REPLY_RECEIVE", sizeof(struct v_reply_receive), e_rr },
	[C_FWD] = { V_IOC_FORWARD, "FORWARD", sizeof(struct v_forward), e_fwd },
	[C_MOVE_TO] = { V_IOC_MOVE_TO, "MOVE_TO", sizeof(struct v_move), e_move },
	[C_MOVE_FROM] = { V_IOC_MOVE_FROM, "MOVE_FROM", sizeof(struct v_move), e_move },
	[C_SET_PID] = { V_IOC_SET_PID, "SET_PID", sizeof(struct v_pid), e_setpid },
	[C_GET_PID] = { V_IOC_GET_PID, "GET_PID", sizeof(struct v_pid), e_getpid },
	[C_G_CREATE] = { V_IOC_GROUP_CREATE, "GROUP_CREATE", sizeof(struct v_group), e_group },
	[C_G_JOIN] = { V_IOC_GROUP_JOIN, "GROUP_JOIN", sizeof(struct v_group), e_group },
	[C_G_LEAVE] = { V_IOC_GROUP_LEAVE, "GROUP_LEAVE", sizeof(struct v_group), e_group },
	[C_G_MEMBERS] = { V_IOC_GROUP_MEMBERS, "GROUP_MEMBERS", sizeof(struct v_group_members),
			  e_group },
	[C_GET_REPLY] = { V_IOC_GET_REPLY, "GET_REPLY", sizeof(struct v_get_reply), e_group },
	[C_WATCH] = { V_IOC_WATCH, "WATCH", sizeof(struct v_watch), e_watch },
	[C_UNWATCH] = { V_IOC_UNWATCH, "UNWATCH", sizeof(struct v_watch), e_watch },
	[C_NOTIFY] = { V_IOC_NOTIFY, "NOTIFY", sizeof(struct v_notify), e_notify },
	[C_RECV_V1] = { V_IOC_RECEIVE_V1, "RECEIVE_V1", sizeof(struct v_receive_v1), e_recv },
	[C_RECV_SEG_V1] = { V_IOC_RECEIVE_SEG_V1, "RECEIVE_SEG_V1", sizeof(struct v_receive_v1),
			    e_recv },
	[C_RR_V1] = { V_IOC_REPLY_RECEIVE_V1, "REPLY_RECEIVE_V1",
		      sizeof(struct v_reply_receive_v1), e_rr },
};

static int in_set(int e, const int *set)
{
	for (; *set != E_END; set++)
		if (*set == e)
			return 1;
	return 0;
}

static const char *set_name(const int *set)
{
	int i;

	if (set == e_vother)
		return "unknown V ioctl";
	if (set == e_nonv)
		return "non-V ioctl";
	if (set == e_shut)
		return "shut-down socket";
	if (set == e_fault)
		return "bad argument pointer";
	for (i = 0; i < NCMD; i++)
		if (vcmds[i].errs == set)
			return vcmds[i].name;
	return "?";
}

/*
 * Account one call: ret must be 0 or -1 with an errno of set.  Returns
 * ret == 0.  what says which call it was (for the violation message).
 */
static int ck(const char *what, int ret, int err, const int *set)
{
	atomic_fetch_add(&SH->calls, 1);
	if (ret == 0) {
		atomic_fetch_add(&SH->ok, 1);
		return 1;
	}
	atomic_fetch_add(&SH->err[err >= 0 && err < MAXERR ? err : MAXERR], 1);
	if (ret != -1)
		violation("%s: returned %d (errno %d)", what, ret, err);
	else if (!in_set(err, set))
		violation("%s: errno %d (%s) not allowed for %s", what, err, strerror(err),
			  set_name(set));
	return 0;
}

/* Errno histogram as one line. */
static void err_summary(char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i <= MAXERR && n + 32 < len; i++) {
		unsigned long long c = atomic_load(&SH->err[i]);

		if (c)
			n += snprintf(buf + n, len - n, " %s=%llu",
				      i == MAXERR ? "other" : strerrorname_np(i) ?: "?", c);
	}
}

static void print_notes(struct __test_metadata *_metadata)
{
	int i, n = atomic_load(&SH->nmsg);

	for (i = 0; i < n && i < NMSG; i++)
		TH_LOG("  %s", SH->msg[i]);
	if (n > NMSG)
		TH_LOG("  ... %d more", n - NMSG);
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

static int vfd_open(int nonblock)
{
	int fd = socket(v_family(), SOCK_DGRAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	return fd;
}

static void set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int64_t now_ms(void)
{
	return vt_now_ms();
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void on_sig_count(int sig)
{
	(void)sig;
}

/* Install h for sig, without SA_RESTART (so V calls see EINTR). */
static void sig_handler(int sig, void (*h)(int), int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* ======================================================================== */
/* Fixture                                                                  */

#define NS_A	"vkfz0"
#define NS_B	"vkfz1"
#define IF_A	"vkfa"
#define IF_B	"vkfb"

static pid_t kids[64];
static int nkids;

static pid_t kid_fork(void)
{
	pid_t p;

	fflush(stdout);
	fflush(stderr);
	p = fork();
	if (p == 0) {
		nkids = 0;
		return 0;
	}
	if (p > 0 && nkids < (int)(sizeof(kids) / sizeof(kids[0])))
		kids[nkids++] = p;
	return p;
}

static void kid_forget(pid_t p)
{
	int i;

	for (i = 0; i < nkids; i++)
		if (kids[i] == p)
			kids[i] = 0;
}

/* Wait up to ms for p; status in *st; 0, or -1 if it did not end. */
static int wait_ms(pid_t p, int *st, int ms)
{
	int64_t end = now_ms() + ms;
	pid_t r;

	for (;;) {
		r = waitpid(p, st, WNOHANG | __WALL);
		if (r == p) {
			kid_forget(p);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return 0;	/* not ours any more */
		if (now_ms() > end)
			return -1;
		usleep(5000);
	}
}

/* Where the tasks of p sleep, for the report of a hang. */
static void dump_stacks(pid_t p)
{
	char path[320], buf[2048];
	struct dirent *de;
	DIR *d;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task", p);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", p, de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "# stack of %d/%s (state %c):\n%s", p, de->d_name,
			vt_task_state(p, atoi(de->d_name)), buf);
	}
	closedir(d);
}

static void topo_destroy(void)
{
	vt_sh("ip netns del " NS_A " >/dev/null 2>&1; ip netns del " NS_B " >/dev/null 2>&1");
}

FIXTURE(fuzz) {
	uint64_t seed;
	int secs;
	int topo;
};

FIXTURE_SETUP(fuzz)
{
	self->seed = fz_seed();
	self->secs = fz_secs();
	SH = sh_new();
	ASSERT_NE(NULL, SH);
	TH_LOG("seed=%llu (VK_FUZZ_SEED=%llu to replay) secs=%d", (unsigned long long)self->seed,
	       (unsigned long long)self->seed, self->secs);
	rseed(self->seed);
	nkids = 0;
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	if (SH)
		atomic_store(&SH->stop, 1);
	for (i = 0; i < nkids; i++) {
		if (kids[i] <= 0)
			continue;
		kill(kids[i], SIGCONT);
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, __WALL);
		kids[i] = 0;
	}
	nkids = 0;
	if (self->topo)
		topo_destroy();
}

/* ======================================================================== */
/* 1. Single-process ioctl fuzz                                            */

#define NF1	6

struct f1 {
	int fd[NF1];
	uint64_t id[NF1];
	int dead[NF1];		/* shut down */
	uint64_t stale[32];
	int nstale;
	uint64_t held[16];
	int nheld;
	uint32_t host;
	uint8_t *mem;		/* 8 pages: 0-3 RW, 4 RO, 5 hole, 6-7 RW */
	uint64_t feeder_id;
	atomic_int stop;
	atomic_ullong feeder_calls;
	uint64_t fseed;
	timer_t guard;
};

#define MEM_RW(f)	((f)->mem)
#define MEM_RO(f)	((f)->mem + 4 * PG)
#define MEM_HOLE(f)	((f)->mem + 5 * PG)

static uint64_t rand_id(struct f1 *f)
{
	uint64_t live = f->id[rn(NF1)];

	switch (rn(12)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return live;
	case 3:
		return f->feeder_id;
	case 4:
		return f->nheld ? f->held[rn(f->nheld)] : f->feeder_id;
	case 5:
		return f->nstale ? f->stale[rn(f->nstale)] : live ^ 1;
	case 6:
		return live | V_ID_GROUP;
	case 7:
		return chance(50) ? V_GROUP_WELLKNOWN(rn(6)) : (live | V_ID_WELLKNOWN);
	case 8:
		return v_id_make(f->host ^ (1 + rn(V_ID_HOST_MASK)), (uint32_t)live);
	case 9:
		return v_id_make(f->host, (uint32_t)rnd());
	case 10:
		return v_id_make(f->host, (uint32_t)live & ~V_ID_INDEX_MASK);
	default:
		return chance(50) ? edge() : rnd();
	}
}

/* A user pointer for size bytes, biased to valid memory. */
static uint64_t rand_ptr(struct f1 *f, uint64_t size)
{
	uint64_t s = size ? size : 1;

	switch (rn(14)) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)MEM_HOLE(f) + rn(PG);
	case 2:
		return (uint64_t)MEM_RO(f) + rn(64);
	case 3:
		return 0xffff888000000000ULL + rn(1 << 20);
	case 4:	/* straddles RW -> RO */
		return (uint64_t)MEM_RO(f) - rn(s < PG ? s : PG) - 1 + rn(2);
	case 5:	/* straddles RO -> hole */
		return (uint64_t)MEM_HOLE(f) - 1 - rn(s < PG ? s : PG);
	case 6:
		return 0x00007ffffffff000ULL + rn(PG);
	case 7:
		return 0x0000800000000000ULL - rn(2 * PG);
	case 8:
		return chance(50) ? ~0ULL - rn(PG) : rnd();
	default:
		/* In the RW pages 0-3 (possibly running into RO if large). */
		return (uint64_t)MEM_RW(f) + rn(4 * PG);
	}
}

static uint64_t rand_len(void)
{
	if (chance(50))
		return rn(chance(70) ? 512 : 5 * PG);
	return edge();
}

static uint64_t rand_timeout(void)
{
	switch (rn(10)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL - rn(2);
	case 2:
		return edge();
	default:
		return 1000 + rn(3000000);
	}
}

static void rand_msg(struct v_msg *m)
{
	rnd_bytes(m, sizeof(*m));
}

/* Mostly zero, sometimes not: reserved fields and flags. */
static uint32_t rand_rsv(void)
{
	return chance(85) ? 0 : (chance(50) ? 1U << rn(32) : (uint32_t)rnd());
}

static void fill_arg(struct f1 *f, int c, void *arg)
{
	memset(arg, 0, 512);
	switch (c) {
	case C_SEND: {
		struct v_send *s = arg;

		s->dst = rand_id(f);
		s->qualifier = chance(90) ? 0 : rand_id(f);
		if (chance(50)) {
			s->seg_len = rand_len();
			s->seg_addr = rand_ptr(f, s->seg_len);
			s->seg_access = chance(80) ? 1 + rn(3) : edge32();
			if (chance(10))
				s->seg_addr = ~0ULL - rn(s->seg_len + 1);	/* wraps */
		} else if (chance(20)) {
			s->seg_access = edge32();
			s->seg_addr = rand_ptr(f, 8);
		}
		s->timeout_ns = rand_timeout();
		s->replier = rnd();
		s->flags = rand_rsv();
		rand_msg(&s->msg);
		break;
	}
	case C_RECV:
	case C_RECV_SEG:
	case C_RECV_V1:
	case C_RECV_SEG_V1: {
		struct v_receive *r = arg;

		rnd_bytes(r, sizeof(*r));
		r->flags = rand_rsv();
		r->reserved1 = rand_rsv();
		r->reserved[0] = rand_rsv();
		r->reserved[1] = rand_rsv();
		if ((c == C_RECV || c == C_RECV_V1) && chance(80)) {
			r->buf_addr = 0;
			r->buf_len = 0;
		} else {
			r->buf_len = rand_len();
			r->buf_addr = rand_ptr(f, r->buf_len);
		}
		break;
	}
	case C_REPLY:
	case C_REPLY_SEG:
	case C_RR:
	case C_RR_V1: {
		struct v_reply *r = arg;

		r->dst = rand_id(f);
		if (c != C_REPLY || chance(20)) {
			r->seg_offset = chance(60) ? rn(5 * PG) : edge();
			r->src_len = chance(70) ? rn(6 * PG) : edge();
			r->src_addr = rand_ptr(f, r->src_len);
		}
		r->flags = rand_rsv();
		r->reserved = rand_rsv();
		rand_msg(&r->msg);
		if (c == C_RR || c == C_RR_V1) {
			struct v_receive *rv = &((struct v_reply_receive *)arg)->recv;

			if (chance(30))
				r->dst = 0;
			rnd_bytes(rv, sizeof(*rv));
			rv->flags = rand_rsv();
			rv->reserved1 = rand_rsv();
			rv->reserved[0] = rand_rsv();
			rv->reserved[1] = rand_rsv();
			rv->buf_len = chance(50) ? 0 : rand_len();
			rv->buf_addr = rv->buf_len || chance(20) ? rand_ptr(f, rv->buf_len) : 0;
		}
		break;
	}
	case C_FWD: {
		struct v_forward *fw = arg;

		fw->from = rand_id(f);
		fw->to = rand_id(f);
		fw->flags = rand_rsv();
		fw->reserved = rand_rsv();
		rand_msg(&fw->msg);
		break;
	}
	case C_MOVE_TO:
	case C_MOVE_FROM: {
		struct v_move *m = arg;

		m->pid = rand_id(f);
		m->offset = chance(60) ? rn(5 * PG) : edge();
		m->len = rand_len();
		m->addr = rand_ptr(f, m->len);
		m->flags = rand_rsv();
		m->reserved = rand_rsv();
		break;
	}
	case C_SET_PID:
	case C_GET_PID: {
		struct v_pid *p = arg;

		p->pid = chance(20) ? 0 : rand_id(f);
		p->logical_id = chance(30) ? (uint32_t)rn(300) : (chance(50) ? 1000 + rn(8) : edge32());
		p->scope = chance(80) ? 1 + rn(3) : edge32();
		/* Remote GetPid waits for its timeout: keep it short. */
		p->timeout_ns = chance(50) ? 0 : (chance(80) ? rn(3000000) : edge());
		break;
	}
	case C_G_CREATE:
	case C_G_JOIN:
	case C_G_LEAVE: {
		struct v_group *g = arg;

		g->gid = rand_id(f);
		g->flags = rand_rsv();
		g->reserved = rand_rsv();
		break;
	}
	case C_WATCH:
	case C_UNWATCH: {
		struct v_watch *w = arg;

		w->id = chance(70) ? rand_id(f) : v_id_make(v_id_host(rand_id(f)), 0);
		w->cookie = rnd();
		w->flags = rand_rsv();
		w->reserved = rand_rsv();
		break;
	}
	case C_NOTIFY: {
		struct v_notify *n = arg;

		n->flags = chance(80) ? (uint32_t)rn(2) : edge32();
		n->reserved = rand_rsv();
		break;
	}
	case C_G_MEMBERS: {
		struct v_group_members *g = arg;

		g->gid = rand_id(f);
		g->max = edge32();
		g->ids_addr = rand_ptr(f, (uint64_t)g->max * 8);
		g->timeout_ns = rn(2000000);
		break;
	}
	default: {
		struct v_get_reply *g = arg;

		g->timeout_ns = chance(50) ? 0 : rn(2000000);
		break;
	}
	}
}

/* The helper thread: Sends to the fuzzed sockets, so messages get held. */
static void *f1_feeder(void *p)
{
	struct f1 *f = p;
	sigset_t ss;
	uint8_t *seg;
	int fd;

	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	rseed(f->fseed);
	seg = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = vfd_open(0);
	if (fd < 0 || seg == MAP_FAILED)
		return NULL;
	f->feeder_id = vt_id(fd);
	while (!atomic_load(&f->stop)) {
		struct v_send s;
		char what[64];
		int ret;

		memset(&s, 0, sizeof(s));
		s.dst = f->id[rn(NF1)];
		if (chance(10))
			s.dst = f->nstale ? f->stale[rn(f->nstale)] : s.dst;
		if (chance(70)) {
			s.seg_len = chance(80) ? 1 + rn(3 * PG) : 1 + rn(8 * PG);
			s.seg_addr = (uint64_t)seg + rn(2 * PG);
			if (s.seg_addr + s.seg_len > (uint64_t)seg + 8 * PG)
				s.seg_len = (uint64_t)seg + 8 * PG - s.seg_addr;
			if (chance(10))
				s.seg_addr = rand_ptr(f, s.seg_len);
			s.seg_access = 1 + rn(3);
		}
		s.timeout_ns = (2 + rn(40)) * 1000000ULL;
		rand_msg(&s.msg);
		ret = ioctl(fd, V_IOC_SEND, &s);
		snprintf(what, sizeof(what), "feeder SEND dst %#llx", (unsigned long long)s.dst);
		ck(what, ret, errno, e_send);
		atomic_fetch_add(&f->feeder_calls, 1);
		if (ret == 0 && (!s.replier || v_id_is_group(s.replier)))
			violation("feeder SEND ok but replier %#llx",
				  (unsigned long long)s.replier);
	}
	close(fd);
	munmap(seg, 8 * PG);
	return NULL;
}

/* Arm the per-call guard: SIGUSR2 (handled, no restart) after ms. */
static void guard_arm(struct f1 *f, int ms)
{
	struct itimerspec it = { .it_value = { ms / 1000, (ms % 1000) * 1000000L } };

	timer_settime(f->guard, 0, &it, NULL);
}

static void guard_disarm(struct f1 *f)
{
	struct itimerspec it = { 0 };

	timer_settime(f->guard, 0, &it, NULL);
}

static void f1_replace(struct f1 *f, int i)
{
	if (f->nstale < 32)
		f->stale[f->nstale++] = f->id[i];
	else
		f->stale[rn(32)] = f->id[i];
	close(f->fd[i]);
	f->fd[i] = vfd_open(1);
	f->id[i] = vt_id(f->fd[i]);
	f->dead[i] = 0;
}

/* Non-V ioctl types that reach nothing but the socket layer's ENOTTY. */
static unsigned int rand_nonv_type(void)
{
	static const uint8_t avoid[] = { 0x00, 0x12, 0x15, 0x54, 0x58, 0x66, 0x89, 0x8b,
					 0x94, V_IOC_TYPE };
	unsigned int t, i;

again:
	t = rn(256);
	for (i = 0; i < sizeof(avoid); i++)
		if (t == avoid[i])
			goto again;
	return t;
}

TEST_F_TIMEOUT(fuzz, ioctl_single, 60)
{
	static const char *const kinds[] = { "valid", "read-only", "straddle-ro",
					     "straddle-hole", "NULL", "unmapped", "kernel",
					     "non-canonical", "random" };
	unsigned long long ncalls = 0, nv = 0, nnonv = 0, nbad = 0;
	struct sigevent sev;
	pthread_t th;
	struct f1 f;
	char hist[1024];
	int64_t end;
	int i;

	memset(&f, 0, sizeof(f));
	alarm(self->secs + 50 * vt_scale());
	sig_handler(SIGUSR2, on_sig_count, 0);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR2;
	ASSERT_EQ(0, timer_create(CLOCK_MONOTONIC, &sev, &f.guard));

	f.mem = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f.mem);
	rnd_bytes(f.mem, 8 * PG);
	ASSERT_EQ(0, mprotect(MEM_RO(&f), PG, PROT_READ));
	ASSERT_EQ(0, munmap(MEM_HOLE(&f), PG));
	for (i = 0; i < NF1; i++) {
		f.fd[i] = vfd_open(1);
		ASSERT_LE(0, f.fd[i]);
		f.id[i] = vt_id(f.fd[i]);
	}
	f.host = v_id_host(f.id[0]);
	f.fseed = rnd();
	ASSERT_EQ(0, pthread_create(&th, NULL, f1_feeder, &f));

	end = now_ms() + self->secs * 1000LL;
	while (now_ms() < end) {
		uint8_t argbuf[512] __attribute__((aligned(8)));
		unsigned int cmd, size;
		const int *set;
		int s = rn(NF1), c = -1, kind, ret, err;
		uint64_t argp;
		char what[160];

		/* Housekeeping actions now and then. */
		if (chance(2)) {
			f1_replace(&f, s);
			continue;
		}
		if (chance(1) && !f.dead[s]) {
			ASSERT_EQ(0, shutdown(f.fd[s], rn(3)));
			f.dead[s] = 1;
			continue;
		}
		if (f.dead[s] && chance(5)) {
			f1_replace(&f, s);
			continue;
		}
		if (chance(8) && !f.dead[s]) {
			/* A plain Receive to harvest held senders. */
			struct v_receive r;

			memset(&r, 0, sizeof(r));
			ret = ioctl(f.fd[s], V_IOC_RECEIVE, &r);
			ck("harvest RECEIVE", ret, errno, e_recv);
			if (ret == 0) {
				if (f.nheld < 16)
					f.held[f.nheld++] = r.sender;
				else
					f.held[rn(16)] = r.sender;
			}
			ncalls++;
			continue;
		}

		/* Pick the command. */
		i = rn(100);
		if (i < 75) {
			c = rn(NCMD);
			cmd = vcmds[c].cmd;
			set = vcmds[c].errs;
			size = vcmds[c].size;
			nv++;
		} else if (i < 90) {
			do {
				cmd = _IOC(rn(4), V_IOC_TYPE, chance(50) ? rn(0x12) : rn(256),
					   chance(50) ? rn(512) : rn(1 << 14));
				for (c = 0; c < NCMD && vcmds[c].cmd != cmd; c++)
					;
			} while (c < NCMD);
			c = -1;
			set = e_vother;
			size = _IOC_SIZE(cmd);
			nv++;
		} else {
			cmd = _IOC(rn(4), rand_nonv_type(), rn(256), rn(1 << 14));
			set = e_nonv;
			size = _IOC_SIZE(cmd);
			nnonv++;
		}
		if (size > sizeof(argbuf))
			size = sizeof(argbuf);

		/* Build the argument and place it. */
		if (c >= 0)
			fill_arg(&f, c, argbuf);
		else
			rnd_bytes(argbuf, sizeof(argbuf));
		kind = rn(100);
		kind = kind < 60 ? 0 : kind < 68 ? 1 : kind < 73 ? 2 : kind < 77 ? 3 : kind < 81 ? 4 :
		       kind < 85 ? 5 : kind < 89 ? 6 : kind < 93 ? 7 : 8;
		switch (kind) {
		case 0:
			argp = (uint64_t)MEM_RW(&f) + 8 * rn((2 * PG) / 8) + (chance(10) ? rn(8) : 0);
			memcpy((void *)argp, argbuf, size);
			break;
		case 1:
			mprotect(MEM_RO(&f), PG, PROT_READ | PROT_WRITE);
			argp = (uint64_t)MEM_RO(&f) + 8 * rn((PG - 512) / 8);
			memcpy((void *)argp, argbuf, size);
			mprotect(MEM_RO(&f), PG, PROT_READ);
			break;
		case 2:
			argp = (uint64_t)MEM_RO(&f) - 1 - rn(size ? size - 1 : 1);
			memcpy((void *)argp, argbuf, (uint64_t)MEM_RO(&f) - argp);
			break;
		case 3:
			argp = (uint64_t)MEM_HOLE(&f) - 1 - rn(size ? size - 1 : 1);
			break;
		case 4:
			argp = 0;
			break;
		case 5:
			argp = (uint64_t)MEM_HOLE(&f) + rn(PG);
			break;
		case 6:
			argp = 0xffff888000000000ULL + 8 * rn(1 << 16);
			break;
		case 7:
			argp = chance(50) ? 0x0000800000000000ULL - rn(size + 1) : 1ULL << 63;
			break;
		default:
			argp = chance(50) ? rnd() : rn(PG);
			break;
		}

		/*
		 * Stricter expectations where the contract is exact: on a
		 * shut-down socket every V ioctl fails with ESHUTDOWN; with an
		 * unreadable argument an implemented V ioctl fails with EFAULT.
		 */
		if (_IOC_TYPE(cmd) == V_IOC_TYPE && f.dead[s])
			set = e_shut;
		else if (c >= 0 && (c < C_G_CREATE || c >= C_RECV_V1) &&
			 (kind == 3 || (kind >= 4 && kind <= 7 && argp != (uint64_t)MEM_RO(&f) - 0)))
			set = e_fault;
		if ((kind >= 3 && kind <= 8) || kind == 2)
			nbad++;

		guard_arm(&f, 30);
		errno = 0;
		ret = ioctl(f.fd[s], cmd, (void *)argp);
		err = errno;
		guard_disarm(&f);
		snprintf(what, sizeof(what), "ioctl(%s %#x, %s arg %#llx)%s",
			 c >= 0 ? vcmds[c].name : "cmd", cmd, kinds[kind],
			 (unsigned long long)argp, f.dead[s] ? " on shut-down socket" : "");
		/* A shut-down socket does not get EFAULT... unless its set says so. */
		ck(what, ret, err, set);
		ncalls++;

		/* A successful Receive (placed where it could be read back) feeds held. */
		if (ret == 0 && (c == C_RECV || c == C_RECV_SEG || c == C_RR) && kind == 0) {
			const struct v_receive *r = c == C_RR ?
				&((const struct v_reply_receive *)argp)->recv :
				(const struct v_receive *)argp;

			if (f.nheld < 16)
				f.held[f.nheld++] = r->sender;
			else
				f.held[rn(16)] = r->sender;
		}
	}
	atomic_store(&f.stop, 1);
	pthread_join(th, NULL);
	for (i = 0; i < NF1; i++)
		close(f.fd[i]);
	timer_delete(f.guard);
	alarm(0);

	err_summary(hist, sizeof(hist));
	TH_LOG("calls: %llu main (%llu V-type, %llu other type, %llu with bad argument "
	       "pointers), %llu feeder Sends; %llu ok, %llu failed, %llu violations",
	       ncalls, nv, nnonv, nbad, (unsigned long long)atomic_load(&f.feeder_calls),
	       (unsigned long long)atomic_load(&SH->ok),
	       (unsigned long long)(atomic_load(&SH->calls) - atomic_load(&SH->ok)),
	       (unsigned long long)atomic_load(&SH->viol));
	TH_LOG("errno:%s", hist);
	print_notes(_metadata);
	ASSERT_EQ(0, atomic_load(&SH->viol)) TH_LOG("seed=%llu", (unsigned long long)self->seed);
	ASSERT_LT(1000, ncalls);
}

/* ======================================================================== */
/* 2. Multi-process fuzz                                                    */

#define NSRV	2
#define NCLI	3
#define NPROC	(NSRV + NCLI)
#define ARENA	(16 * PG)

struct held {
	uint64_t id;
	uint64_t seg_len;
	uint32_t access;
	int64_t t;
};

struct p2 {
	int slot;
	int server;
	atomic_int fd;
	uint8_t *arena;		/* segments (clients) / buffers (servers) */
	uint8_t *buf;		/* private buffer */
	pthread_mutex_t lock;
	struct held held[32];
	int nheld;
	uint64_t tseed;
};

static uint64_t p2_rand_id(struct p2 *p)
{
	uint64_t id;
	int k = rn(100);

	if (k < 60)
		id = atomic_load(&SH->ids[rn(NSRV)]);
	else if (k < 75)
		id = atomic_load(&SH->ids[rn(NPROC)]);
	else if (k < 80)
		id = atomic_load(&SH->ids[p->slot]);
	else if (k < 92) {
		unsigned int n = atomic_load(&SH->nstale);

		id = n ? atomic_load(&SH->stale[rn(n < 64 ? n : 64)]) : 0;
	} else if (k < 96)
		id = atomic_load(&SH->ids[rn(NPROC)]) ^ (1ULL << rn(64));
	else
		id = edge();
	return id;
}

/* Publish the socket of this process (after a replacement too). */
static void p2_publish(struct p2 *p, int fd)
{
	uint64_t old = atomic_load(&SH->ids[p->slot]);
	unsigned int n;

	if (old) {
		n = atomic_fetch_add(&SH->nstale, 1);
		atomic_store(&SH->stale[n % 64], old);
	}
	atomic_store(&SH->ids[p->slot], vt_id(fd));
}

/* shutdown() the socket now and then, and put a new one in its place. */
static void p2_churn(struct p2 *p)
{
	int fd = atomic_load(&p->fd), nfd;

	if (chance(50))
		shutdown(fd, SHUT_RDWR);
	sleep_us(rn(3000));
	nfd = vfd_open(0);
	if (nfd < 0)
		return;
	set_rcvtimeo(nfd, 50);
	/* dup2: the fd always names a V socket; in-flight calls keep the old. */
	dup2(nfd, fd);
	close(nfd);
	p2_publish(p, fd);
}

static void p2_hold(struct p2 *p, const struct v_receive *r)
{
	pthread_mutex_lock(&p->lock);
	if (p->nheld < 32) {
		p->held[p->nheld].id = r->sender;
		p->held[p->nheld].seg_len = r->seg_len;
		p->held[p->nheld].access = r->seg_access;
		p->held[p->nheld].t = now_ms();
		p->nheld++;
	}
	pthread_mutex_unlock(&p->lock);
}

/* Take a held entry (oldest if old enough, else random); 0 if none. */
static int p2_take(struct p2 *p, struct held *h, int *idx)
{
	int i, r = 0;

	pthread_mutex_lock(&p->lock);
	if (p->nheld) {
		i = rn(p->nheld);
		if (now_ms() - p->held[0].t > 150)
			i = 0;
		*h = p->held[i];
		*idx = i;
		r = 1;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

static void p2_drop(struct p2 *p, uint64_t id)
{
	int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nheld; i++)
		if (p->held[i].id == id) {
			p->held[i] = p->held[--p->nheld];
			break;
		}
	pthread_mutex_unlock(&p->lock);
}

static void p2_server_step(struct p2 *p)
{
	int fd = atomic_load(&p->fd), ret, err, idx;
	struct held h;
	int k = rn(100);

	if (k < 35 || !p2_take(p, &h, &idx)) {
		struct v_receive r;

		memset(&r, 0, sizeof(r));
		if (chance(40)) {
			r.buf_addr = (uint64_t)p->buf + rn(PG);
			r.buf_len = rn(3 * PG);
			if (chance(5))
				r.buf_addr = (uint64_t)p->arena + ARENA - rn(64);	/* guard */
		}
		ret = ioctl(fd, r.buf_len || r.buf_addr ? V_IOC_RECEIVE_SEG : V_IOC_RECEIVE, &r);
		err = errno;
		if (ck("server RECEIVE", ret, err, e_recv))
			p2_hold(p, &r);
		else if (err == ESHUTDOWN)
			sleep_us(500);	/* until the socket is replaced */
		return;
	}
	/* Sometimes act on somebody we do not hold. */
	if (chance(10))
		h.id = p2_rand_id(p);
	k = rn(100);
	if (k < 35) {
		struct v_reply r;

		memset(&r, 0, sizeof(r));
		r.dst = h.id;
		rand_msg(&r.msg);
		ret = ioctl(fd, V_IOC_REPLY, &r);
		err = errno;
		ck("server REPLY", ret, err, e_reply);
		if (ret == 0 || err == ENOENT)
			p2_drop(p, h.id);
	} else if (k < 50) {
		struct v_reply r;

		memset(&r, 0, sizeof(r));
		r.dst = h.id;
		r.seg_offset = chance(80) && h.seg_len ? rn(h.seg_len) : edge();
		r.src_len = chance(80) ? rn(h.seg_len - (h.seg_len ? r.seg_offset % h.seg_len : 0) + 2)
				       : edge();
		if (r.src_len > 8 * PG && chance(80))
			r.src_len = rn(8 * PG);
		r.src_addr = (uint64_t)p->buf;
		rand_msg(&r.msg);
		ret = ioctl(fd, V_IOC_REPLY_SEG, &r);
		err = errno;
		ck("server REPLY_SEG", ret, err, e_reply);
		if (ret == 0 || err == ENOENT)
			p2_drop(p, h.id);
	} else if (k < 75) {
		struct v_move m;
		int to = chance(50);

		memset(&m, 0, sizeof(m));
		m.pid = h.id;
		m.offset = chance(85) && h.seg_len ? rn(h.seg_len) : edge();
		m.len = chance(85) ? rn(h.seg_len + 2) : edge();
		if (m.len > 8 * PG)
			m.len = chance(90) ? rn(8 * PG) : m.len;
		m.addr = (uint64_t)p->buf + rn(64);
		ret = ioctl(fd, to ? V_IOC_MOVE_TO : V_IOC_MOVE_FROM, &m);
		err = errno;
		ck(to ? "server MOVE_TO" : "server MOVE_FROM", ret, err, e_move);
		if (err == ENOENT && ret)
			p2_drop(p, h.id);
	} else if (k < 88) {
		struct v_forward f;

		memset(&f, 0, sizeof(f));
		f.from = h.id;
		f.to = p2_rand_id(p);
		rand_msg(&f.msg);
		ret = ioctl(fd, V_IOC_FORWARD, &f);
		err = errno;
		ck("server FORWARD", ret, err, e_fwd);
		if (ret == 0 || err == ENOENT)
			p2_drop(p, h.id);
	} else if (k < 95) {
		struct v_reply_receive rr;

		memset(&rr, 0, sizeof(rr));
		rr.reply.dst = h.id;
		rand_msg(&rr.reply.msg);
		ret = ioctl(fd, V_IOC_REPLY_RECEIVE, &rr);
		err = errno;
		ck("server REPLY_RECEIVE", ret, err, e_rr);
		if (rr.reply.dst == 0 || (ret && err == ENOENT))
			p2_drop(p, h.id);
		if (ret == 0)
			p2_hold(p, &rr.recv);
	} else {
		struct v_pid pd;
		int set = chance(50);

		memset(&pd, 0, sizeof(pd));
		pd.logical_id = 500 + rn(4);
		pd.scope = 1 + rn(3);
		pd.pid = set && chance(70) ? p2_rand_id(p) : 0;
		pd.timeout_ns = rn(2000000);
		if (set)
			pd.timeout_ns = 0;
		ret = ioctl(fd, set ? V_IOC_SET_PID : V_IOC_GET_PID, &pd);
		ck(set ? "server SET_PID" : "server GET_PID", ret, errno,
		   set ? e_setpid : e_getpid);
	}
}

static void p2_client_send(struct p2 *p)
{
	int fd = atomic_load(&p->fd), ret, err;
	struct v_send s;

	memset(&s, 0, sizeof(s));
	s.dst = p2_rand_id(p);
	if (chance(75)) {
		uint64_t off = rn(ARENA);

		s.seg_len = 1 + rn(ARENA - off);
		if (chance(60) && s.seg_len > 2 * PG)
			s.seg_len = 1 + rn(2 * PG);
		s.seg_addr = (uint64_t)p->arena + off;
		s.seg_access = 1 + rn(3);
	}
	s.timeout_ns = (1 + rn(chance(80) ? 50 : 400)) * 1000000ULL;
	rand_msg(&s.msg);
	ret = ioctl(fd, V_IOC_SEND, &s);
	err = errno;
	if (ck("client SEND", ret, err, e_send) && (!s.replier || v_id_is_group(s.replier)))
		violation("client SEND ok, replier %#llx", (unsigned long long)s.replier);
	if (ret && err == ESHUTDOWN)
		sleep_us(500);
}

/* The second thread of a client: unmap/remap the arena, churn, receive. */
static void p2_client_chaos(struct p2 *p)
{
	int k = rn(100);

	if (k < 30) {
		uint64_t pg = rn(ARENA / PG), n = 1 + rn(3);
		uint8_t *a = p->arena + pg * PG;

		if (pg + n > ARENA / PG)
			n = ARENA / PG - pg;
		munmap(a, n * PG);
		sleep_us(rn(2000));
		if (mmap(a, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) == MAP_FAILED)
			note("remap failed: %s", strerror(errno));
	} else if (k < 35) {
		mprotect(p->arena + rn(ARENA / PG) * PG, PG, PROT_READ);
		sleep_us(rn(2000));
		mprotect(p->arena, ARENA, PROT_READ | PROT_WRITE);
	} else if (k < 37) {
		p2_churn(p);
	} else if (k < 70) {
		/* Clients receive too (other clients and forwards reach them). */
		p2_server_step(p);
	} else {
		sleep_us(rn(3000));
	}
}

/* The spawned thread: a server's second receiver, a client's Sender. */
static void *p2_thread(void *arg)
{
	struct p2 *p = arg;

	rseed(p->tseed);
	while (!atomic_load(&SH->stop)) {
		if (p->server)
			p2_server_step(p);
		else
			p2_client_send(p);
	}
	return NULL;
}

static void p2_on_usr1(int sig)
{
	(void)sig;
}

static void __attribute__((noreturn)) p2_child(int slot, uint64_t seed, int secs)
{
	static struct p2 p;
	pthread_t th;
	int fd;

	alarm(secs + 40 * vt_scale());
	rseed(seed ^ ((uint64_t)slot << 40) ^ (uint64_t)getpid());
	sig_handler(SIGUSR1, p2_on_usr1, chance(50));
	memset(&p, 0, sizeof(p));
	p.slot = slot;
	p.server = slot < NSRV;
	pthread_mutex_init(&p.lock, NULL);
	/* Each with a PROT_NONE guard page after it: copies end there. */
	p.arena = mmap(NULL, ARENA + PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p.buf = mmap(NULL, ARENA + 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (p.arena == MAP_FAILED || p.buf == MAP_FAILED ||
	    mprotect(p.arena + ARENA, PG, PROT_NONE) ||
	    mprotect(p.buf + ARENA + PG, PG, PROT_NONE))
		_exit(3);
	rnd_bytes(p.arena, ARENA);
	fd = vfd_open(0);
	if (fd < 0)
		_exit(4);
	set_rcvtimeo(fd, 50);
	atomic_store(&p.fd, fd);
	p2_publish(&p, fd);
	p.tseed = rnd();
	if (pthread_create(&th, NULL, p2_thread, &p))
		_exit(6);
	/* This thread: a server's first receiver, a client's chaos thread. */
	while (!atomic_load(&SH->stop)) {
		if (p.server) {
			p2_server_step(&p);
			if (chance(1))
				p2_churn(&p);
		} else {
			p2_client_chaos(&p);
		}
	}
	pthread_join(th, NULL);
	close(atomic_load(&p.fd));
	_exit(0);
}

TEST_F_TIMEOUT(fuzz, multi_process, 120)
{
	pid_t pid[NPROC];
	int stopped[NPROC] = { 0 };
	int64_t end, cont_at[NPROC] = { 0 };
	unsigned long long kills = 0, stops = 0, usr1 = 0, respawns = 0;
	char hist[1024];
	int i, st, hung = 0, bad_exit = 0;

	/* Inherited: a SIGUSR1 right after a fork must not kill the child. */
	sig_handler(SIGUSR1, p2_on_usr1, 0);
	for (i = 0; i < NPROC; i++) {
		pid[i] = kid_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0)
			p2_child(i, self->seed, self->secs);
	}
	end = now_ms() + self->secs * 1000LL;
	while (now_ms() < end) {
		int k = rn(100), c = rn(NPROC);

		sleep_us(2000 + rn(15000));
		for (i = 0; i < NPROC; i++)
			if (stopped[i] && now_ms() >= cont_at[i]) {
				kill(pid[i], SIGCONT);
				stopped[i] = 0;
			}
		/* A child that ended by itself: a hang alarm or a crash. */
		for (i = 0; i < NPROC; i++)
			if (waitpid(pid[i], &st, WNOHANG) == pid[i]) {
				kid_forget(pid[i]);
				note("child %d (slot %d) ended early: %s %d", pid[i], i,
				     WIFEXITED(st) ? "exit" : "signal",
				     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
				bad_exit++;
				pid[i] = kid_fork();
				ASSERT_LE(0, pid[i]);
				if (pid[i] == 0)
					p2_child(i, self->seed ^ rnd(), self->secs);
			}
		if (k < 10 && !stopped[c]) {
			kill(pid[c], SIGSTOP);
			stopped[c] = 1;
			cont_at[c] = now_ms() + 5 + rn(100);
			stops++;
		} else if (k < 30) {
			kill(pid[c], SIGUSR1);
			usr1++;
		} else if (k < 34) {
			kill(pid[c], SIGKILL);
			kills++;
			if (wait_ms(pid[c], &st, 10000 * vt_scale())) {
				dump_stacks(pid[c]);
				violation("SIGKILLed child %d not reaped within %d s (unkillable)",
					  pid[c], 10 * vt_scale());
				hung++;
				break;
			}
			stopped[c] = 0;
			pid[c] = kid_fork();
			ASSERT_LE(0, pid[c]);
			if (pid[c] == 0)
				p2_child(c, self->seed ^ rnd(), self->secs);
			respawns++;
		}
	}
	/* Stop: every call of the children is bounded, so they end soon. */
	atomic_store(&SH->stop, 1);
	for (i = 0; i < NPROC; i++)
		kill(pid[i], SIGCONT);
	for (i = 0; i < NPROC; i++) {
		if (wait_ms(pid[i], &st, 15000 * vt_scale())) {
			note("child %d (slot %d) did not exit within %d s of stop", pid[i], i,
			     15 * vt_scale());
			dump_stacks(pid[i]);
			hung++;
			kill(pid[i], SIGKILL);
			if (wait_ms(pid[i], &st, 10000 * vt_scale()))
				violation("child %d not reaped within %d s of SIGKILL", pid[i],
					  10 * vt_scale());
			continue;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			note("child %d (slot %d) ended: %s %d", pid[i], i,
			     WIFEXITED(st) ? "exit" : "signal",
			     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			bad_exit++;
		}
	}
	err_summary(hist, sizeof(hist));
	TH_LOG("calls: %llu (%llu ok, %llu violations); signals: %llu SIGSTOP, %llu SIGUSR1, "
	       "%llu SIGKILL (%llu respawns)", (unsigned long long)atomic_load(&SH->calls),
	       (unsigned long long)atomic_load(&SH->ok), (unsigned long long)atomic_load(&SH->viol),
	       stops, usr1, kills, respawns);
	TH_LOG("errno:%s", hist);
	print_notes(_metadata);
	ASSERT_EQ(0, hung) TH_LOG("seed=%llu", (unsigned long long)self->seed);
	ASSERT_EQ(0, bad_exit) TH_LOG("seed=%llu", (unsigned long long)self->seed);
	ASSERT_EQ(0, atomic_load(&SH->viol)) TH_LOG("seed=%llu", (unsigned long long)self->seed);
	ASSERT_LT(200, atomic_load(&SH->calls));
}

/* ======================================================================== */
/* 3. Wire fuzz                                                             */

#define LEGIT_CODE	0x4c45
#define SINK_LID	4242
#define WIRE_RATE	1000	/* injected frames per second at most */
#define HDRS		VT_HDRS
#define FRAME_MAX	1514

/* A counter of the host in namespace ns (`vctl -j stats`), or -1. */
static long long ns_stat(const char *ns, const char *name)
{
	return vt_stat(ns, name);
}



/* --- V processes of the wire test (children) --- */

static int w_vopen(const char *ns, int rcvtimeo_ms)
{
	int fd;

	if (vt_ns_enter(ns))
		return -1;
	fd = vfd_open(0);
	if (fd >= 0 && rcvtimeo_ms)
		set_rcvtimeo(fd, rcvtimeo_ms);
	return fd;
}

struct w_thr {
	int fd;
	uint64_t seed;
	int idx;
};

/* The echo server (host A): transforms legit segments, answers the rest. */
static void *w_echo_loop(void *arg)
{
	struct w_thr *w = arg;
	uint64_t legit = atomic_load(&SH->legit_id);
	uint8_t *buf = malloc(256 * 1024);

	rseed(w->seed);
	while (buf && !atomic_load(&SH->stop)) {
		struct v_receive r;
		struct v_reply rp;
		struct v_move m;
		uint64_t n, i;
		int ret, err, st = 0;

		memset(&r, 0, sizeof(r));
		r.buf_addr = (uint64_t)buf;
		r.buf_len = chance(50) ? 256 * 1024 : rn(3000);
		ret = ioctl(w->fd, V_IOC_RECEIVE_SEG, &r);
		err = errno;
		if (ret && (err == EAGAIN || err == EINTR))
			continue;
		if (!ck("echo RECEIVE_SEG", ret, err, e_recv))
			continue;
		if (!legit)
			legit = atomic_load(&SH->legit_id);
		memset(&rp, 0, sizeof(rp));
		rp.dst = r.sender;
		if (r.sender == legit && v_msg_code(&r.msg) == LEGIT_CODE) {
			n = r.seg_len;
			if (n > 256 * 1024)
				st = 1;
			if (!st && r.copied < n) {
				memset(&m, 0, sizeof(m));
				m.pid = r.sender;
				m.offset = r.copied;
				m.addr = (uint64_t)buf + r.copied;
				m.len = n - r.copied;
				if (ioctl(w->fd, V_IOC_MOVE_FROM, &m))
					st = 100 + errno;
			}
			for (i = 0; !st && i < n; i++)
				buf[i] ^= 0xa5;
			if (!st && n && (n > V_REPLY_SEG_MAX_DEFAULT || chance(50))) {
				memset(&m, 0, sizeof(m));
				m.pid = r.sender;
				m.addr = (uint64_t)buf;
				m.len = n;
				if (ioctl(w->fd, V_IOC_MOVE_TO, &m))
					st = 300 + errno;
				n = 0;
			}
			rp.msg = r.msg;
			v_msg_set_code(&rp.msg, LEGIT_CODE + 1);
			v_msg_put16(&rp.msg, 30, st);
			if (!st && n) {
				rp.src_addr = (uint64_t)buf;
				rp.src_len = n;
				ret = ioctl(w->fd, V_IOC_REPLY_SEG, &rp);
			} else {
				ret = ioctl(w->fd, V_IOC_REPLY, &rp);
			}
			if (ret)
				note("echo: legit reply: %s (st %d)", strerror(errno), st);
			continue;
		}
		rand_msg(&rp.msg);
		ret = ioctl(w->fd, V_IOC_REPLY, &rp);
		ck("echo REPLY", ret, errno, e_reply);
	}
	free(buf);
	return NULL;
}

/* The sink (host A): random server operations on whatever arrives. */
static void *w_sink_loop(void *arg)
{
	struct w_thr *w = arg;
	uint8_t *buf = malloc(128 * 1024);
	uint64_t hs = atomic_load(&SH->victim_ids[3]);	/* fake server host part */

	rseed(w->seed);
	while (buf && !atomic_load(&SH->stop)) {
		struct v_receive r;
		struct v_reply rp;
		struct v_move m;
		struct v_forward f;
		int ret, err, k, done = 0;

		memset(&r, 0, sizeof(r));
		if (chance(60)) {
			r.buf_addr = (uint64_t)buf;
			r.buf_len = rn(5000);
		}
		ret = ioctl(w->fd, r.buf_len ? V_IOC_RECEIVE_SEG : V_IOC_RECEIVE, &r);
		err = errno;
		if (ret && (err == EAGAIN || err == EINTR))
			continue;
		if (!ck("sink RECEIVE", ret, err, e_recv))
			continue;
		atomic_fetch_add(&SH->sink_ops, 1);
		k = rn(100);
		memset(&rp, 0, sizeof(rp));
		rp.dst = r.sender;
		rand_msg(&rp.msg);
		if (k < 20) {
			rp.seg_offset = chance(80) && r.seg_len ? rn(r.seg_len) : edge();
			rp.src_len = chance(80) ? rn(3000) : edge();
			rp.src_addr = (uint64_t)buf;
			ret = ioctl(w->fd, V_IOC_REPLY_SEG, &rp);
			done = ck("sink REPLY_SEG", ret, errno, e_reply);
		} else if (k < 50) {
			int to = chance(50);

			memset(&m, 0, sizeof(m));
			m.pid = r.sender;
			m.offset = chance(85) && r.seg_len ? rn(r.seg_len) : edge();
			m.len = chance(85) ? rn(r.seg_len < 20000 ? r.seg_len + 2 : 20000) : edge();
			m.addr = (uint64_t)buf;
			if (m.len > 64 * 1024)	/* the buffer's size, with margin */
				m.len = 64 * 1024;
			ret = ioctl(w->fd, to ? V_IOC_MOVE_TO : V_IOC_MOVE_FROM, &m);
			ck(to ? "sink MOVE_TO" : "sink MOVE_FROM", ret, errno, e_move);
		} else if (k < 58) {
			memset(&f, 0, sizeof(f));
			f.from = r.sender;
			switch (rn(4)) {
			case 0:
				f.to = atomic_load(&SH->echo_id);
				break;
			case 1:
				f.to = v_id_make((uint32_t)hs, 1 + rn(1000));
				break;
			case 2:
				f.to = v_id_make(v_id_host(atomic_load(&SH->sink_id)), (uint32_t)rnd());
				break;
			default:
				f.to = edge();
			}
			rand_msg(&f.msg);
			ret = ioctl(w->fd, V_IOC_FORWARD, &f);
			done = ck("sink FORWARD", ret, errno, e_fwd);
		} else if (k < 62) {
			sleep_us(rn(30000));
		}
		if (!done) {
			ret = ioctl(w->fd, V_IOC_REPLY, &rp);
			ck("sink REPLY", ret, errno, e_reply);
		}
	}
	free(buf);
	return NULL;
}

/* The legit client (host B): echo round trips that must all be right. */
static void w_legit(int fd, int scale)
{
	static const uint32_t sizes[] = { 0, 1, 100, 1400, 1500, 4000, 9000, 33000, 70000 };
	uint8_t *seg = malloc(80000), *orig = malloc(80000);
	uint64_t echo = atomic_load(&SH->echo_id), nonce = 0;

	while (seg && orig && !atomic_load(&SH->stop)) {
		uint32_t n = sizes[rn(sizeof(sizes) / sizeof(sizes[0]))], i;
		struct v_send s;
		int ret;

		rnd_bytes(seg, n);
		memcpy(orig, seg, n);
		memset(&s, 0, sizeof(s));
		s.dst = echo;
		if (n) {
			s.seg_addr = (uint64_t)seg;
			s.seg_len = n;
			s.seg_access = V_SEG_READ | V_SEG_WRITE;
		}
		s.timeout_ns = 30ULL * scale * 1000000000ULL;
		rand_msg(&s.msg);
		v_msg_set_code(&s.msg, LEGIT_CODE);
		v_msg_put64(&s.msg, 2, ++nonce);
		ret = ioctl(fd, V_IOC_SEND, &s);
		if (ret) {
			atomic_fetch_add(&SH->legit_fail, 1);
			note("legit Send of %u bytes failed: %s", n, strerror(errno));
			continue;
		}
		if (v_msg_code(&s.msg) != LEGIT_CODE + 1 || v_msg_get64(&s.msg, 2) != nonce ||
		    v_msg_get16(&s.msg, 30) != 0 || s.replier != echo) {
			atomic_fetch_add(&SH->legit_fail, 1);
			note("legit Send of %u bytes: bad reply code %#x nonce %llu/%llu st %u "
			     "replier %#llx", n, v_msg_code(&s.msg),
			     (unsigned long long)v_msg_get64(&s.msg, 2), (unsigned long long)nonce,
			     v_msg_get16(&s.msg, 30), (unsigned long long)s.replier);
			continue;
		}
		for (i = 0; i < n && seg[i] == (orig[i] ^ 0xa5); i++)
			;
		if (i < n) {
			atomic_fetch_add(&SH->legit_fail, 1);
			note("legit Send of %u bytes: segment wrong from byte %u", n, i);
			continue;
		}
		atomic_fetch_add(&SH->legit_ok, 1);
		atomic_fetch_add(&SH->legit_bytes, n);
	}
	free(seg);
	free(orig);
}

/*
 * A victim client (host B): Sends to fake servers (only the injector
 * answers them) and to the sink, and remote GetPids.  Its memory around
 * the granted segment must never change.
 */
static void *w_victim_loop(void *arg)
{
	struct w_thr *w = arg;
	uint32_t hs = (uint32_t)atomic_load(&SH->victim_ids[3]);
	size_t area = 5 * PG, i;
	uint8_t *a = malloc(area);

	rseed(w->seed);
	while (a && !atomic_load(&SH->stop)) {
		uint8_t pat = (uint8_t)rnd();
		uint64_t off = PG + rn(PG), len = rn(2 * PG);
		struct v_send s;
		int ret, err;

		if (chance(10)) {
			struct v_pid pd;

			memset(&pd, 0, sizeof(pd));
			pd.logical_id = chance(50) ? SINK_LID : 1000 + rn(10);
			pd.scope = V_SCOPE_REMOTE;
			pd.timeout_ns = (50 + rn(150)) * 1000000ULL;
			ret = ioctl(w->fd, V_IOC_GET_PID, &pd);
			if (ck("victim GET_PID", ret, errno, e_getpid) &&
			    (!pd.pid || v_id_is_group(pd.pid)))
				violation("victim GET_PID ok with pid %#llx",
					  (unsigned long long)pd.pid);
			continue;
		}
		for (i = 0; i < area; i++)
			a[i] = pat + (uint8_t)(i * 7);
		memset(&s, 0, sizeof(s));
		if (chance(75))
			s.dst = v_id_make(hs, 1 + rn(50));
		else
			s.dst = atomic_load(&SH->sink_id);
		if (len) {
			s.seg_addr = (uint64_t)a + off;
			s.seg_len = len;
			s.seg_access = 1 + rn(3);
		}
		s.timeout_ns = (150 + rn(600)) * 1000000ULL;
		rand_msg(&s.msg);
		ret = ioctl(w->fd, V_IOC_SEND, &s);
		err = errno;
		atomic_fetch_add(&SH->victim_sends, 1);
		ck("victim SEND", ret, err, e_send);
		for (i = 0; i < area; i++) {
			int inside = i >= off && i < off + len && (s.seg_access & V_SEG_WRITE);

			if (!inside && a[i] != (uint8_t)(pat + (uint8_t)(i * 7))) {
				violation("victim Send (dst %#llx seg [%llu,+%llu) access %u, ret %d "
					  "errno %d): byte %zu outside the writable segment changed",
					  (unsigned long long)s.dst, (unsigned long long)off,
					  (unsigned long long)len, s.seg_access, ret, err, i);
				break;
			}
		}
	}
	free(a);
	return NULL;
}

static void __attribute__((noreturn)) w_child(int role, uint64_t seed, int secs)
{
	struct w_thr t[3];
	pthread_t th[3];
	int fd, i, n = 0;

	alarm(secs + 60 * vt_scale());
	rseed(seed);
	sig_handler(SIGUSR1, on_sig_count, 0);
	switch (role) {
	case 0:	/* echo, host A */
		fd = w_vopen(NS_A, 200);
		if (fd < 0)
			_exit(10);
		atomic_store(&SH->echo_id, vt_id(fd));
		for (i = 0; i < 2; i++) {
			t[i].fd = fd;
			t[i].seed = rnd();
			pthread_create(&th[i], NULL, w_echo_loop, &t[i]);
		}
		n = 2;
		break;
	case 1: {	/* sink, host A */
		struct v_pid pd = { .logical_id = SINK_LID, .scope = V_SCOPE_BOTH };

		fd = w_vopen(NS_A, 100);
		if (fd < 0)
			_exit(11);
		pd.pid = vt_id(fd);
		if (ioctl(fd, V_IOC_SET_PID, &pd))
			note("sink SetPid: %s", strerror(errno));
		atomic_store(&SH->sink_id, vt_id(fd));
		for (i = 0; i < 3; i++) {
			t[i].fd = fd;
			t[i].seed = rnd();
			pthread_create(&th[i], NULL, w_sink_loop, &t[i]);
		}
		n = 3;
		break;
	}
	case 2:	/* legit client, host B */
		fd = w_vopen(NS_B, 0);
		if (fd < 0)
			_exit(12);
		atomic_store(&SH->legit_id, vt_id(fd));
		while (!atomic_load(&SH->echo_id) && !atomic_load(&SH->stop))
			usleep(1000);
		w_legit(fd, vt_scale());
		_exit(0);
	default:	/* victims, host B: two V processes, one thread each */
		for (i = 0; i < 2; i++) {
			t[i].fd = w_vopen(NS_B, 0);
			if (t[i].fd < 0)
				_exit(13);
			t[i].seed = rnd();
			atomic_store(&SH->victim_ids[i], vt_id(t[i].fd));
		}
		for (i = 0; i < 2; i++)
			pthread_create(&th[i], NULL, w_victim_loop, &t[i]);
		n = 2;
		break;
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/* --- frames --- */

struct ctx {
	uint8_t type;
	uint64_t client, dst, src;
	uint32_t seq;
	uint64_t seg_len, off;
	uint32_t access, len, block, xfer, lid;
	uint16_t count;
};

#define NCTX 8
struct ctxring {
	struct ctx c[NCTX];
	unsigned int n;
};

static void ctx_push(struct ctxring *r, const struct ctx *c)
{
	r->c[r->n++ % NCTX] = *c;
}

static const struct ctx *ctx_pick(const struct ctxring *r)
{
	unsigned int n = r->n < NCTX ? r->n : NCTX;

	return n ? &r->c[(r->n - 1 - rn(n < 3 ? n : 3)) % NCTX] : NULL;
}

struct wire {
	struct vt_pk pa, pb;	/* sockets in A (to B) and in B (to A) */
	uint32_t ha, hb, hs, hc;
	uint64_t fc[4];
	uint32_t fseq[4];
	struct ctxring vreq, getpid, alien;
	unsigned long long sent, mutated, sniffed, by_type[16];
};

static uint8_t fb[2048];

/* Ethernet and V header; returns the offset of the payload. */
static size_t fr_hdr(const struct vt_pk *k, uint8_t type, uint32_t seq, uint64_t client,
		     uint64_t dst, uint64_t src, uint32_t src_host)
{
	struct v_wire_hdr h;

	memcpy(fb, chance(90) ? k->peer : (const uint8_t *)"\xff\xff\xff\xff\xff\xff", ETH_ALEN);
	memcpy(fb + ETH_ALEN, k->mac, ETH_ALEN);
	fb[12] = V_ETHERTYPE_DEFAULT >> 8;
	fb[13] = V_ETHERTYPE_DEFAULT & 0xff;
	memset(&h, 0, sizeof(h));
	h.version = V_WIRE_VERSION;
	h.type = type;
	h.flags = chance(90) ? 0 : htons((uint16_t)rnd());
	h.seq = htonl(seq);
	h.client = htobe64(client);
	h.dst = htobe64(dst);
	h.src = htobe64(src);
	h.src_host = htonl(src_host);
	memcpy(fb + ETH_HLEN, &h, sizeof(h));
	return HDRS;
}

static size_t fr_put(size_t n, const void *p, size_t len)
{
	if (n + len > sizeof(fb))
		len = sizeof(fb) - n;
	memcpy(fb + n, p, len);
	return n + len;
}

static size_t fr_rand(size_t n, size_t len)
{
	if (n + len > sizeof(fb))
		len = sizeof(fb) - n;
	rnd_bytes(fb + n, len);
	return n + len;
}

static void fr_len(size_t n)
{
	uint32_t l = htonl((uint32_t)(n - HDRS));

	memcpy(fb + ETH_HLEN + offsetof(struct v_wire_hdr, len), &l, 4);
}

/* Payload of type at HDRS: offset of its data_len-like field, or -1. */
static int fr_len_field(uint8_t type)
{
	switch (type) {
	case V_PKT_REQUEST:
		return HDRS + offsetof(struct v_wire_request, data_len);
	case V_PKT_RESPONSE:
		return HDRS + offsetof(struct v_wire_response, data_len);
	case V_PKT_MOVE_DATA:
		return HDRS + offsetof(struct v_wire_data, data_len);
	case V_PKT_MOVE_FROM:
	case V_PKT_MOVE_ACK:
		return HDRS + offsetof(struct v_wire_move, len);
	default:
		return -1;
	}
}

/* Damage the frame of n bytes; the new length. */
static size_t fr_mutate(size_t n, struct wire *w)
{
	uint32_t v;
	int f, rounds = 1 + (chance(25) ? 1 : 0);

	w->mutated++;
	while (rounds--) {
		switch (rn(12)) {
		case 0:	/* truncated (maybe inside the header) */
			n = ETH_HLEN + rn(n - ETH_HLEN);
			break;
		case 1:	/* trailing bytes beyond the V length */
			n = fr_rand(n, rn(200));
			break;
		case 2:
			do
				fb[ETH_HLEN] = (uint8_t)rnd();
			while (fb[ETH_HLEN] == V_WIRE_VERSION);
			break;
		case 3:
			fb[ETH_HLEN + 1] = chance(30) ? 0 : V_PKT_MAX + 1 + rn(256 - V_PKT_MAX - 1);
			break;
		case 4:
			v = htonl(edge32());
			memcpy(fb + ETH_HLEN + offsetof(struct v_wire_hdr, len), &v, 4);
			break;
		case 5: {
			uint32_t l;

			memcpy(&l, fb + ETH_HLEN + offsetof(struct v_wire_hdr, len), 4);
			l = htonl(ntohl(l) + (int)rn(9) - 4);
			memcpy(fb + ETH_HLEN + offsetof(struct v_wire_hdr, len), &l, 4);
			break;
		}
		case 6: {
			int k = 1 + rn(4);

			while (k-- && n > ETH_HLEN)
				fb[ETH_HLEN + rn(n - ETH_HLEN)] ^= 1 << rn(8);
			break;
		}
		case 7:
			f = fr_len_field(fb[ETH_HLEN + 1]);
			if (f > 0 && (size_t)f + 4 <= n) {
				v = htonl(chance(50) ? edge32() : ntohl(*(uint32_t *)(fb + f)) + 1);
				memcpy(fb + f, &v, 4);
			}
			break;
		case 8:
			v = htonl(chance(50) ? 0 : (uint32_t)rnd());
			memcpy(fb + ETH_HLEN + offsetof(struct v_wire_hdr, src_host), &v, 4);
			break;
		case 9:
			v = htonl(edge32());
			memcpy(fb + ETH_HLEN + offsetof(struct v_wire_hdr, seq), &v, 4);
			break;
		case 10: {
			uint64_t id = htobe64(chance(50) ? edge() : rnd());

			memcpy(fb + ETH_HLEN + (chance(50) ? offsetof(struct v_wire_hdr, client) :
						offsetof(struct v_wire_hdr, dst)), &id, 8);
			break;
		}
		default:
			if (n > HDRS)
				fb[HDRS + rn(n - HDRS)] = (uint8_t)edge();
			break;
		}
	}
	return n;
}

static void fr_send(struct wire *w, const struct vt_pk *k, size_t n, int mutate)
{
	if (mutate)
		n = fr_mutate(n, w);
	if (n > FRAME_MAX)
		n = FRAME_MAX;
	if (send(k->fd, fb, n, MSG_DONTWAIT) > 0) {
		w->sent++;
		w->by_type[n > ETH_HLEN + 1 ? fb[ETH_HLEN + 1] & 15 : 0]++;
	}
}

/* A (mostly) well-formed REQUEST from a fake client to host A. */
static void gen_request(struct wire *w, int mut)
{
	int c = rn(4);
	uint64_t dst, seg_len = chance(50) ? rn(70000) : (chance(50) ? 0 : edge());
	uint32_t seq, piggy = chance(50) ? rn(seg_len < 1300 ? seg_len + 1 : 1300) : 0;
	struct v_wire_request rq;
	size_t n;

	switch (rn(10)) {
	case 0:
		seq = w->fseq[c];		/* a duplicate */
		break;
	case 1:
		seq = w->fseq[c] - 1 - rn(5);	/* older */
		break;
	case 2:
		seq = (uint32_t)rnd();
		w->fseq[c] = seq;
		break;
	default:
		seq = ++w->fseq[c];
	}
	switch (rn(20)) {
	case 0:
		dst = atomic_load(&SH->echo_id);
		break;
	case 1: case 2: case 3:
		dst = v_id_make(w->ha, (uint32_t)rnd());
		break;
	case 4: case 5:
		dst = chance(50) ? v_id_make(w->hs, 1 + rn(9)) : edge();
		break;
	default:
		dst = atomic_load(&SH->sink_id);
	}
	n = fr_hdr(&w->pb, V_PKT_REQUEST, seq, w->fc[c], dst, w->fc[c], chance(95) ? w->hc : w->hb);
	memset(&rq, 0, sizeof(rq));
	rand_msg(&rq.msg);
	rq.seg_len = htobe64(seg_len);
	rq.forwarder = chance(90) ? 0 : htobe64(rnd());
	rq.seg_access = htonl(chance(85) ? (seg_len ? 1 + rn(3) : 0) : edge32());
	rq.uid = htonl(chance(50) ? 0 : (uint32_t)rnd());
	rq.gid = htonl((uint32_t)rnd());
	rq.data_len = htonl(piggy);
	n = fr_put(n, &rq, sizeof(rq));
	n = fr_rand(n, piggy);
	fr_len(n);
	fr_send(w, &w->pb, n, mut);
}

/* Answers to the alien side of host A (the sink's moves and replies). */
static void gen_alien_answer(struct wire *w, int mut)
{
	const struct ctx *c = ctx_pick(&w->alien);
	size_t n;

	if (!c) {
		gen_request(w, mut);
		return;
	}
	if (c->type == V_PKT_MOVE_FROM) {
		unsigned int count = c->block ? (c->len + c->block - 1) / c->block : 1, i, sent = 0;

		if (count > V_WIRE_TRAIN)
			count = V_WIRE_TRAIN;
		for (i = 0; i < count && sent < 6; i++) {
			struct v_wire_data d;
			uint32_t len = c->block ? c->len - i * c->block : 0;

			if (c->block && len > c->block)
				len = c->block;
			if (len > 1400)
				len = 1400;
			if (chance(20))
				continue;
			n = fr_hdr(&w->pb, V_PKT_MOVE_DATA, c->seq, c->client, c->client, c->client,
				   w->hc);
			memset(&d, 0, sizeof(d));
			d.offset = htobe64(chance(90) ? c->off + (uint64_t)i * c->block : edge());
			d.xfer = htonl(chance(90) ? c->xfer : (uint32_t)edge());
			d.index = htons(chance(90) ? i : (uint16_t)edge());
			d.count = htons(chance(90) ? count : (uint16_t)edge());
			d.data_len = htonl(len);
			n = fr_put(n, &d, sizeof(d));
			n = fr_rand(n, len);
			fr_len(n);
			fr_send(w, &w->pb, n, mut && chance(50));
			sent++;
		}
	} else if (c->type == V_PKT_MOVE_DATA) {
		struct v_wire_move mv;

		n = fr_hdr(&w->pb, V_PKT_MOVE_ACK, c->seq, c->client, c->client, c->client, w->hc);
		memset(&mv, 0, sizeof(mv));
		mv.xfer = htonl(chance(90) ? c->xfer : (uint32_t)edge());
		mv.mask = htobe64(chance(60) ? (c->count >= 64 ? ~0ULL : (1ULL << c->count) - 1)
					     : rnd());
		n = fr_put(n, &mv, sizeof(mv));
		fr_len(n);
		fr_send(w, &w->pb, n, mut);
	} else {
		/* After a RESPONSE / ACK / NACK: the same request again, or the next. */
		struct v_wire_request rq;

		n = fr_hdr(&w->pb, V_PKT_REQUEST, c->seq + (chance(70) ? 0 : 1), c->client,
			   atomic_load(&SH->sink_id), c->client, w->hc);
		memset(&rq, 0, sizeof(rq));
		rand_msg(&rq.msg);
		n = fr_put(n, &rq, sizeof(rq));
		fr_len(n);
		fr_send(w, &w->pb, n, mut);
	}
}

/* Answers to the victims' remote Sends and GetPids (to host B). */
static void gen_victim_answer(struct wire *w, int mut)
{
	const struct ctx *c = ctx_pick(&w->vreq);
	uint32_t src_host, seq;
	size_t n;

	if (chance(15) && w->getpid.n) {
		const struct ctx *g = ctx_pick(&w->getpid);
		struct v_wire_getpid gp;

		n = fr_hdr(&w->pa, V_PKT_GETPID_ANSWER, g->seq, g->client, g->client, 0, w->hs);
		memset(&gp, 0, sizeof(gp));
		gp.logical_id = htonl(chance(90) ? g->lid : (uint32_t)rnd());
		switch (rn(4)) {
		case 0:
			gp.pid = 0;
			break;
		case 1:
			gp.pid = htobe64(V_ID_GROUP | rnd());
			break;
		default:
			gp.pid = htobe64(v_id_make(w->hs, 1 + rn(50)));
		}
		n = fr_put(n, &gp, sizeof(gp));
		fr_len(n);
		fr_send(w, &w->pa, n, mut);
		return;
	}
	if (!c)
		return;
	src_host = chance(90) ? v_id_host(c->dst) : w->hs;
	seq = chance(90) ? c->seq : c->seq + (int)rn(5) - 2;
	switch (rn(6)) {
	case 0:
		n = fr_hdr(&w->pa, V_PKT_ACK, seq, c->client, c->client, c->dst, src_host);
		fr_len(n);
		fr_send(w, &w->pa, n, mut);
		break;
	case 1: {
		struct v_wire_nack nk = { htonl(chance(80) ? 1 + rn(4) : edge32()), 0 };

		n = fr_hdr(&w->pa, V_PKT_NACK, seq, c->client, c->client, c->dst, src_host);
		n = fr_put(n, &nk, sizeof(nk));
		fr_len(n);
		fr_send(w, &w->pa, n, mut);
		break;
	}
	case 2:
	case 3: {
		struct v_wire_response r;
		uint16_t frags = chance(50) ? 1 : 1 + rn(chance(80) ? 4 : 70), i;
		uint32_t len = rn(chance(70) ? 600 : 1400);

		for (i = 0; i < frags && i < 4; i++) {
			n = fr_hdr(&w->pa, V_PKT_RESPONSE, seq, c->client, c->client, c->dst,
				   src_host);
			memset(&r, 0, sizeof(r));
			rand_msg(&r.msg);
			r.replier = htobe64(chance(80) ? c->dst : edge());
			r.seg_offset = htobe64(chance(80) && c->seg_len ? rn(c->seg_len) : edge());
			r.data_len = htonl(len);
			r.frag = htons(chance(90) ? (frags == 1 ? 0 : rn(frags)) : (uint16_t)edge());
			r.frags = htons(chance(90) ? frags : (uint16_t)edge());
			n = fr_put(n, &r, sizeof(r));
			n = fr_rand(n, len);
			fr_len(n);
			fr_send(w, &w->pa, n, mut && chance(60));
		}
		break;
	}
	case 4: {
		struct v_wire_move mv;
		uint64_t off = c->seg_len ? rn(c->seg_len) : 0;
		uint32_t len = chance(80) ? 1 + rn(c->seg_len - off + 1) : edge32();
		uint32_t block = chance(80) ? 64 + rn(1400 - 64) : edge32();

		n = fr_hdr(&w->pa, V_PKT_MOVE_FROM, seq, c->client, c->client, c->dst, src_host);
		memset(&mv, 0, sizeof(mv));
		mv.offset = htobe64(chance(85) ? off : edge());
		mv.len = htonl(len);
		mv.block = htonl(block);
		mv.xfer = htonl((uint32_t)rn(5));
		mv.mask = htobe64(chance(50) ? 0 : rnd());
		n = fr_put(n, &mv, sizeof(mv));
		fr_len(n);
		fr_send(w, &w->pa, n, mut);
		break;
	}
	default: {
		struct v_wire_data d;
		uint16_t count = chance(80) ? 1 + rn(8) : (uint16_t)edge();
		uint32_t len = rn(1300);

		n = fr_hdr(&w->pa, V_PKT_MOVE_DATA, seq, c->client, c->client, c->dst, src_host);
		memset(&d, 0, sizeof(d));
		d.offset = htobe64(chance(80) && c->seg_len ? rn(c->seg_len) : edge());
		d.xfer = htonl((uint32_t)rn(4));
		d.index = htons(chance(85) ? rn(count ? count : 1) : (uint16_t)edge());
		d.count = htons(count);
		d.data_len = htonl(len);
		n = fr_put(n, &d, sizeof(d));
		n = fr_rand(n, len);
		fr_len(n);
		fr_send(w, &w->pa, n, mut);
	}
	}
}

/* Anything: random types and fields, either direction. */
static void gen_random(struct wire *w, int mut)
{
	const struct vt_pk *k = chance(60) ? &w->pb : &w->pa;
	uint8_t type = 1 + rn(V_PKT_MAX);
	uint32_t h = chance(50) ? (k == &w->pb ? w->ha : w->hb) : (uint32_t)rnd();
	uint64_t client = chance(50) ? v_id_make(h, (uint32_t)rnd()) : edge();
	size_t n;

	if (chance(30)) {
		/* Garbage after a plausible (or not) Ethernet header. */
		n = fr_hdr(k, type, 0, 0, 0, 0, 0);
		n = fr_rand(ETH_HLEN, rn(chance(50) ? 80 : 1500));
		if (chance(50))
			fb[ETH_HLEN] = V_WIRE_VERSION;
		fr_send(w, k, n, 0);
		return;
	}
	n = fr_hdr(k, type, chance(50) ? rn(10) : (uint32_t)rnd(), client,
		   chance(50) ? v_id_make(h, (uint32_t)rnd()) : edge(), edge(), (uint32_t)rnd());
	if (type == V_PKT_GETPID || type == V_PKT_GETPID_ANSWER) {
		struct v_wire_getpid g;

		memset(&g, 0, sizeof(g));
		g.logical_id = htonl(chance(50) ? SINK_LID : edge32());
		g.pid = htobe64(chance(50) ? edge() : v_id_make(h, (uint32_t)rnd()));
		n = fr_put(n, &g, sizeof(g));
	} else {
		n = fr_rand(n, rn(chance(70) ? 100 : 1400));
		/* Keep the payload's own length field consistent half the time. */
		if (chance(50)) {
			int f = fr_len_field(type);
			size_t fixed = type == V_PKT_REQUEST ? sizeof(struct v_wire_request) :
				       type == V_PKT_RESPONSE ? sizeof(struct v_wire_response) :
				       type == V_PKT_MOVE_DATA ? sizeof(struct v_wire_data) : 0;

			if (f > 0 && fixed && n >= HDRS + fixed) {
				uint32_t v = htonl((uint32_t)(n - HDRS - fixed));

				memcpy(fb + f, &v, 4);
			}
		}
	}
	fr_len(n);
	fr_send(w, k, n, mut);
}

/* Read what arrived at A (from B) and at B (from A): contexts to answer. */
static void sniff(struct wire *w)
{
	uint8_t buf[2048];
	struct v_wire_hdr h;
	struct ctx c;
	ssize_t n;
	int side, i;

	for (side = 0; side < 2; side++) {
		const struct vt_pk *k = side ? &w->pb : &w->pa;

		for (i = 0; i < 64; i++) {
			n = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0)
				break;
			if (n < HDRS)
				continue;
			w->sniffed++;
			memcpy(&h, buf + ETH_HLEN, sizeof(h));
			if (h.version != V_WIRE_VERSION || h.flags)
				continue;
			memset(&c, 0, sizeof(c));
			c.type = h.type;
			c.client = be64toh(h.client);
			c.dst = be64toh(h.dst);
			c.src = be64toh(h.src);
			c.seq = ntohl(h.seq);
			if (!side) {
				/* At A, from B's kernel: the victims' frames. */
				if (c.client != atomic_load(&SH->victim_ids[0]) &&
				    c.client != atomic_load(&SH->victim_ids[1]))
					continue;
				if (h.type == V_PKT_REQUEST && n >= HDRS + (int)sizeof(struct v_wire_request) &&
				    v_id_host(c.dst) == w->hs) {
					struct v_wire_request rq;

					memcpy(&rq, buf + HDRS, sizeof(rq));
					c.seg_len = be64toh(rq.seg_len);
					c.access = ntohl(rq.seg_access);
					ctx_push(&w->vreq, &c);
				} else if (h.type == V_PKT_GETPID &&
					   n >= HDRS + (int)sizeof(struct v_wire_getpid)) {
					struct v_wire_getpid g;

					memcpy(&g, buf + HDRS, sizeof(g));
					c.lid = ntohl(g.logical_id);
					ctx_push(&w->getpid, &c);
				}
				continue;
			}
			/* At B, from A's kernel: frames for the fake clients. */
			if (v_id_host(c.client) != w->hc)
				continue;
			if ((h.type == V_PKT_MOVE_FROM) && n >= HDRS + (int)sizeof(struct v_wire_move)) {
				struct v_wire_move mv;

				memcpy(&mv, buf + HDRS, sizeof(mv));
				c.off = be64toh(mv.offset);
				c.len = ntohl(mv.len);
				c.block = ntohl(mv.block);
				c.xfer = ntohl(mv.xfer);
			} else if (h.type == V_PKT_MOVE_DATA &&
				   n >= HDRS + (int)sizeof(struct v_wire_data)) {
				struct v_wire_data d;

				memcpy(&d, buf + HDRS, sizeof(d));
				c.xfer = ntohl(d.xfer);
				c.count = ntohs(d.count);
			} else if (h.type != V_PKT_RESPONSE && h.type != V_PKT_ACK &&
				   h.type != V_PKT_NACK) {
				continue;
			}
			ctx_push(&w->alien, &c);
		}
	}
}

static const char *const drop_names[] = { "drop_short", "drop_version", "drop_type",
					  "drop_no_txn", "drop_not_mine", "rx_frames" };
#define NDROP (int)(sizeof(drop_names) / sizeof(drop_names[0]))

TEST_F_TIMEOUT(fuzz, wire, 240)
{
	long long before[2][NDROP], after[2][NDROP];
	const char *ns[2] = { NS_A, NS_B };
	struct wire *w = calloc(1, sizeof(*w));
	int root, i, j, st, bad = 0, scale = vt_scale();
	int64_t end, t0, tokens_t;
	double tokens = 0;
	char hist[1024];
	pid_t pid[4];

	ASSERT_NE(NULL, w);
	root = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, root);
	topo_destroy();
	if (access("/sys/module/veth", F_OK))
		vt_sh("modprobe -q veth");
	self->topo = 1;
	ASSERT_EQ(0, vt_sh("ip netns add " NS_A " && ip netns add " NS_B " && "
			   "ip link add " IF_A " netns " NS_A " type veth peer name " IF_B
			   " netns " NS_B " && ip -n " NS_A " link set lo up && ip -n " NS_B
			   " link set lo up && ip -n " NS_A " link set " IF_A " up && ip -n " NS_B
			   " link set " IF_B " up"));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, vt_sh("ip netns exec %s %s link add dev %s insecure", ns[i], vt_vctl_bin(),
				   i ? IF_B : IF_A));
	/* Server-side moves towards fake clients give up sooner. */
	ASSERT_EQ(0, vt_sh("ip netns exec " NS_A " %s set host-down-ms %d", vt_vctl_bin(),
			   1500 * scale));
	ASSERT_EQ(0, vt_pk_open(NS_A, IF_A, &w->pa, root));
	ASSERT_EQ(0, vt_pk_open(NS_B, IF_B, &w->pb, root));
	memcpy(w->pa.peer, w->pb.mac, ETH_ALEN);
	memcpy(w->pb.peer, w->pa.mac, ETH_ALEN);

	/* Fake host parts: a server host and a client host nobody owns. */
	w->hs = 1 + rn(V_ID_HOST_MASK - 1);
	w->hc = 1 + rn(V_ID_HOST_MASK - 1);
	atomic_store(&SH->victim_ids[3], w->hs);
	for (i = 0; i < 4; i++) {
		pid[i] = kid_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0)
			w_child(i, self->seed ^ (0x1000ULL * (i + 1)), self->secs);
		/* Ids first: the roles after depend on them. */
		for (j = 0; j < 5000 * scale; j++) {
			if ((i == 0 && atomic_load(&SH->echo_id)) ||
			    (i == 1 && atomic_load(&SH->sink_id)) ||
			    (i == 2 && atomic_load(&SH->legit_id)) ||
			    (i == 3 && atomic_load(&SH->victim_ids[1])))
				break;
			usleep(1000);
		}
	}
	ASSERT_NE(0, atomic_load(&SH->victim_ids[1]));
	w->ha = v_id_host(atomic_load(&SH->sink_id));
	w->hb = v_id_host(atomic_load(&SH->legit_id));
	ASSERT_NE(w->ha, w->hb);
	/* The victims already use hs: a clash (p = 2^-29) just fails. */
	ASSERT_TRUE(w->hs != w->ha && w->hs != w->hb);
	while (w->hc == w->ha || w->hc == w->hb || w->hc == w->hs)
		w->hc++;
	for (i = 0; i < 4; i++) {
		w->fc[i] = v_id_make(w->hc, 1 + rn(V_ID_INDEX_MAX - 1));
		w->fseq[i] = 1 + rn(1000);
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < NDROP; j++)
			before[i][j] = ns_stat(ns[i], drop_names[j]);
	TH_LOG("hosts: A %#x B %#x, fake server host %#x, fake client host %#x", w->ha, w->hb,
	       w->hs, w->hc);

	t0 = tokens_t = now_ms();
	end = t0 + self->secs * 1000LL;
	while (now_ms() < end) {
		int64_t t = now_ms();
		int k;

		sniff(w);
		tokens += (t - tokens_t) * WIRE_RATE / 1000.0;
		tokens_t = t;
		if (tokens > WIRE_RATE / 10)
			tokens = WIRE_RATE / 10;
		if (tokens < 1) {
			sleep_us(1000);
			continue;
		}
		tokens -= 1;
		k = rn(100);
		if (k < 25)
			gen_request(w, chance(40));
		else if (k < 45)
			gen_alien_answer(w, chance(40));
		else if (k < 70)
			gen_victim_answer(w, chance(40));
		else
			gen_random(w, chance(60));
	}
	atomic_store(&SH->stop, 1);
	for (i = 0; i < 4; i++) {
		if (wait_ms(pid[i], &st, 40000 * scale)) {
			note("wire child %d (role %d) did not exit within %d s", pid[i], i, 40 * scale);
			dump_stacks(pid[i]);
			bad++;
			continue;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			note("wire child %d (role %d) ended: %s %d", pid[i], i,
			     WIFEXITED(st) ? "exit" : "signal",
			     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			bad++;
		}
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < NDROP; j++)
			after[i][j] = ns_stat(ns[i], drop_names[j]);
	close(w->pa.fd);
	close(w->pb.fd);
	close(root);

	err_summary(hist, sizeof(hist));
	TH_LOG("frames injected: %llu (%llu mutated; by type: req %llu resp %llu ack %llu "
	       "nack %llu mvfrom %llu mvdata %llu mvack %llu getpid %llu/%llu other %llu), "
	       "sniffed %llu", w->sent, w->mutated, w->by_type[1], w->by_type[2], w->by_type[3],
	       w->by_type[4], w->by_type[5], w->by_type[6], w->by_type[7], w->by_type[8],
	       w->by_type[9], w->by_type[0] + w->by_type[10] + w->by_type[11] + w->by_type[12] +
	       w->by_type[13] + w->by_type[14] + w->by_type[15], w->sniffed);
	TH_LOG("legit: %llu round trips ok (%llu bytes), %llu failed; victim Sends %llu, "
	       "sink operations %llu; V calls %llu (%llu ok, %llu violations)",
	       (unsigned long long)atomic_load(&SH->legit_ok),
	       (unsigned long long)atomic_load(&SH->legit_bytes),
	       (unsigned long long)atomic_load(&SH->legit_fail),
	       (unsigned long long)atomic_load(&SH->victim_sends),
	       (unsigned long long)atomic_load(&SH->sink_ops),
	       (unsigned long long)atomic_load(&SH->calls), (unsigned long long)atomic_load(&SH->ok),
	       (unsigned long long)atomic_load(&SH->viol));
	TH_LOG("errno:%s", hist);
	for (i = 0; i < 2; i++)
		TH_LOG("host %s: %s %lld->%lld %s %lld->%lld %s %lld->%lld %s %lld->%lld "
		       "%s %lld->%lld %s %lld->%lld", i ? "B" : "A",
		       drop_names[0], before[i][0], after[i][0], drop_names[1], before[i][1],
		       after[i][1], drop_names[2], before[i][2], after[i][2], drop_names[3],
		       before[i][3], after[i][3], drop_names[4], before[i][4], after[i][4],
		       drop_names[5], before[i][5], after[i][5]);
	print_notes(_metadata);
	ASSERT_EQ(0, bad) TH_LOG("seed=%llu", (unsigned long long)self->seed);
	ASSERT_EQ(0, atomic_load(&SH->viol)) TH_LOG("seed=%llu", (unsigned long long)self->seed);
	ASSERT_EQ(0, atomic_load(&SH->legit_fail)) TH_LOG("seed=%llu",
							  (unsigned long long)self->seed);
	ASSERT_LE(3, atomic_load(&SH->legit_ok));
	/* The hosts noticed the damage and dropped it (counted by reason). */
	for (j = 0; j < 3; j++)
		ASSERT_LT(before[0][j], after[0][j]) TH_LOG("host A %s did not rise", drop_names[j]);
	ASSERT_LT(before[0][3] + before[1][3], after[0][3] + after[1][3]);
	free(w);
}

/* ======================================================================== */
/* 4. Nothing pins the module once every socket is closed                   */


TEST_F_TIMEOUT(fuzz, module_refcount, 60)
{
	int64_t end = now_ms() + 20000LL * vt_scale();
	long long ref;

	topo_destroy();
	do {
		ref = vt_vkmod_refcount();
		if (ref == 0)
			break;
		usleep(50000);
	} while (now_ms() < end);
	ASSERT_EQ(0, ref) TH_LOG("vkmod refcount %lld with no V socket open", ref);
}

/*
 * TEST_HARNESS_MAIN, plus: a longer VK_FUZZ_SECS (or a slower kernel)
 * lengthens every test's timeout by as much.
 */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	int extra = fz_secs() - FZ_SECS_DEFAULT, scale = vt_scale();

	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout = t->timeout * scale + 2 * (extra > 0 ? extra : 0);
	return test_harness_run(argc, argv);
}
